// The Octokit the action builds lets the check step's reads run together (plugin-throttling's
// shared default would hold them to 10 at a time). Writes are spaced by the write pacer
// (__tests__/rotation/write-pacer.test.ts), not by the client.
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { startEmulator } from '../../emulator/index.js'
import { createOctokit, GLOBAL_CONCURRENCY } from '../../src/github/octokit.js'
import { createSecretsApi } from '../../src/github/secrets.js'
import { USER_AGENT } from '../../src/main.js'
import type { TargetSpec } from '../../src/inputs/targets.js'

const log = { info: () => {}, warning: () => {}, debug: () => {} }
let emu: Awaited<ReturnType<typeof startEmulator>>
const TOKEN = 'ghs_concurrencyTestToken000000000001'
// plugin-throttling's shared default. The latency is long enough that the client, even on a
// loaded CI machine, sends far more reads than this before the first answer comes back.
const THROTTLING_DEFAULT = 10
const repos = Array.from({ length: GLOBAL_CONCURRENCY + 20 }, (_, i) => `acme/r${i}`)

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: 400 })
  emu.github.addOrganization('acme')
  for (const repo of repos) emu.github.addRepository(repo)
  emu.github.addToken(TOKEN, { scopes: 'all' })
})
afterAll(() => emu.stop())

test('reads run up to GLOBAL_CONCURRENCY at once, and so do writes', async () => {
  const octokit = createOctokit({ token: TOKEN, baseUrl: emu.githubUrl, log, userAgent: USER_AGENT })
  const secrets = createSecretsApi({ octokit, log })
  const specs: TargetSpec[] = repos.map((full) => {
    const [owner, repo] = full.split('/') as [string, string]
    return { kind: 'repo', label: `repo:${full}`, owner, repo }
  })
  emu.clearLog()
  const prepared = await Promise.all(specs.map((spec) => secrets.prepare(spec, ['A', 'B'])))
  expect(emu.github.concurrency.peak).toBeGreaterThan(3 * THROTTLING_DEFAULT)
  expect(emu.github.secondaryLimitHits).toBe(0)
  expect(emu.github.concurrency.peak).toBeLessThanOrEqual(GLOBAL_CONCURRENCY)

  emu.clearLog()
  await Promise.all(prepared.slice(0, 5).map((target) => target.writeSecret('A', 'value')))
  expect(emu.log.filter((e) => e.method === 'PUT')).toHaveLength(5)
  expect(emu.github.concurrency.peak).toBe(5)
  expect(emu.github.secret('repo:acme/r4', 'A')?.value).toBe('value')
})
