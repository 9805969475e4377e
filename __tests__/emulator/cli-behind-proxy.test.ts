// `npm run emulator -- --behind-proxy`: what a user runs to try the action as a self-hosted
// runner behind a TLS-re-signing proxy sees it. The action's dry run reaches both APIs with the
// HTTPS_PROXY and NODE_EXTRA_CA_CERTS the CLI prints, and without them cannot.
import { afterEach, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction } from '../../scripts/lib/run-bundle.js'

const ROOT = resolve(import.meta.dirname, '../..')
let child: ChildProcess | undefined
let dir = ''

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('--behind-proxy serves HTTPS under emulator.test behind a CONNECT proxy; the printed env reaches it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'emu-cli-proxy-'))
  const jsonFile = join(dir, 'emu.json')
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'emulator/cli.ts', '--behind-proxy', '--json', jsonFile],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  child = proc
  const until = Date.now() + 30_000
  while (!existsSync(jsonFile)) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error('the emulator CLI did not start')
    await new Promise((r) => setTimeout(r, 50))
  }
  const info = JSON.parse(readFileSync(jsonFile, 'utf8')) as Record<string, string>
  expect(info.planetscaleUrl).toMatch(/^https:\/\/emulator\.test:\d+\/v1$/)
  expect(info.httpsProxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(existsSync(info.nodeExtraCaCerts!)).toBe(true)

  const inputs = {
    organization: info.organization!,
    'service-token-id': info.tokenId!,
    'service-token': info.token!,
    'github-token': info.githubToken!,
    targets: `repo:${info.repository}`,
    'planetscale-api-url': info.planetscaleUrl!,
    'github-api-url': info.githubUrl!,
    'dry-run': 'true'
  }
  const env = { GITHUB_REPOSITORY: info.repository! }
  const through = await runAction(inputs, {
    env: { ...env, HTTPS_PROXY: info.httpsProxy!, NODE_EXTRA_CA_CERTS: info.nodeExtraCaCerts! }
  })
  expect(through.code).toBe(0)
  expect(through.stdout).toContain(`PlanetScale (emulator.test:${new URL(info.planetscaleUrl!).port}) is reached`)
  const without = await runAction(inputs, { env })
  expect(without.code).toBe(1)

  proc.kill('SIGTERM')
  await new Promise((r) => proc.on('exit', r))
  expect(existsSync(info.nodeExtraCaCerts!)).toBe(false)
})
