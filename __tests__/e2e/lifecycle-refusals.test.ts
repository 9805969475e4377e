// What the contract v2 refuses before anything changes: each case exits 1, names the input or the
// permission to fix, and sends no request that changes anything (at most the check's reads).
import { describe, expect, test } from '@jest/globals'
import { TARGET_SETS, annotations, failure, runAction, scenarios, writes, type Scenario } from './harness.js'

const start = scenarios({ targets: TARGET_SETS.three })

async function refused(s: Scenario, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const run = await runAction({ ...s.inputs, ...inputs }, { env: { ...s.env, ...env } })
  expect(run.code).toBe(1)
  expect(writes(s.emu)).toEqual([])
  for (const scope of s.targets)
    expect(s.emu.github.secret(scope, 'PLANETSCALE_SERVICE_TOKEN_ID')?.value).toBe(s.token.id)
  expect(s.emu.planetscale.tokens('acme').map((t) => t.id)).toEqual([...s.tokensBefore])
  return run
}

describe('refused before anything changes', () => {
  test('ttl under an hour (`ttl: 90` meant as days): an input error, no request at all', async () => {
    const s = await start()
    const run = await refused(s, { ttl: '90' })
    expect(failure(run)).toMatch(/Input "ttl": "90" is 90 seconds/)
    expect(s.emu.log).toEqual([])
  })

  test('a duration in delete-previous with journal: none: an input error that says why', async () => {
    const s = await start()
    const run = await refused(s, { 'delete-previous': '2h', journal: 'none' })
    expect(failure(run)).toMatch(/Input "delete-previous"/)
    expect(failure(run)).toMatch(/journal/)
    expect(s.emu.log).toEqual([])
  })

  test('an unknown permission in accesses: refused, with the closest known name', async () => {
    const s = await start()
    const run = await refused(s, {
      accesses:
        'organization read_service_tokens write_service_tokens delete_service_tokens\ndatabase=app-db read_brnach'
    })
    expect(failure(run)).toMatch(/Input "accesses"/)
    expect(failure(run)).toContain('database:app-db:read_brnach')
    expect(annotations(run, 'warning').join('\n')).toContain('did you mean "read_branch"')
  })

  test('an unknown database in accesses: refused, since the action’s token holds nothing on it', async () => {
    const s = await start()
    const run = await refused(s, {
      accesses:
        'organization read_service_tokens write_service_tokens delete_service_tokens\ndatabase=app-dbb read_branch'
    })
    expect(failure(run)).toMatch(/Input "accesses"/)
    expect(failure(run)).toContain('database:app-dbb:read_branch')
  })

  test('a GitHub token that cannot use Actions variables: refused, naming the permission to add', async () => {
    const s = await start()
    const token = 'ghs_noVariablesInstallationToken000001'
    s.emu.github.addToken(token, { scopes: 'all', variables: 'none' })
    const run = await refused(s, { 'github-token': token })
    expect(failure(run)).toContain('Variables: write')
    expect(failure(run)).toContain('journal: none')
  })

  test('a GitHub token that expires before the writes could end: refused, with what to do', async () => {
    const s = await start()
    const token = 'ghs_shortLivedInstallationToken0000001'
    s.emu.github.addToken(token, { scopes: 'all', expiresAt: new Date(Date.now() + 3 * 60_000) })
    const run = await refused(s, { 'github-token': token })
    expect(failure(run)).toMatch(/The github-token expires at .* Nothing was changed/)
  })

  test('another run holds the journal: refused, and a re-run of that same workflow run takes over', async () => {
    const s = await start()
    const held = s.emu.holdAt({ api: 'github', method: 'PUT', path: /\/secrets\//, nth: 1 })
    let pid: number | undefined
    const first = runAction(s.inputs, {
      env: { ...s.env, GITHUB_RUN_ID: '7001' },
      onStart: (p) => (pid = p)
    })
    await held
    process.kill(pid!, 'SIGKILL')
    await first
    s.emu.releaseHolds()
    s.emu.clearLog()
    const repo = s.emu.github.secret('repo:acme/api', 'PLANETSCALE_SERVICE_TOKEN_ID')?.value
    const other = await runAction(s.inputs, { env: { ...s.env, GITHUB_RUN_ID: '7002' } })
    expect(other.code).toBe(1)
    expect(failure(other)).toMatch(/Another run \(7001\/1\) began a rotation/)
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.github.secret('repo:acme/api', 'PLANETSCALE_SERVICE_TOKEN_ID')?.value).toBe(repo)
    const rerun = await runAction(s.inputs, { env: { ...s.env, GITHUB_RUN_ID: '7001', GITHUB_RUN_ATTEMPT: '2' } })
    expect(rerun.code).toBe(0)
    expect(rerun.outputs.repaired).toBe('true')
  })
})
