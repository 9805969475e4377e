// `command: job-token` as a runner runs it: the main step, then the post step with what the main
// step saved (STATE_*) and the same inputs.
import { describe, expect, test } from '@jest/globals'
import { ORG, annotations, failure, findLeaks, runAction, scenarios, writes, type Scenario } from './harness.js'

const start = scenarios()
const ACCESSES = 'database=app-db read_branch connect_branch'

function jobInputs(s: Scenario, extra: Record<string, string> = {}): Record<string, string> {
  const { targets: _targets, 'github-token': _github, ...rest } = s.inputs
  return { ...rest, command: 'job-token', accesses: ACCESSES, ...extra }
}

describe('job-token', () => {
  test('main makes a token for this job and exports it; post deletes it', async () => {
    const s = await start()
    const env = {
      ...s.env,
      GITHUB_RUN_ID: '777',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_SERVER_URL: 'https://ghe.example'
    }
    const main = await runAction(jobInputs(s), { env })
    expect({ code: main.code, message: failure(main) }).toEqual({ code: 0, message: '' })
    const id = main.outputs['token-id']!
    // The summary links the token to its run, on the runner's server (@actions/github's context).
    expect(main.summary).toContain('(https://ghe.example/acme/api/actions/runs/777/attempts/2)')
    const token = s.emu.planetscale.token(id)!
    expect(token.name).toMatch(/^github-actions\/acme\/api\/run-777-2 r-[0-9a-f]{10}$/)
    expect(s.emu.planetscale.accessSet(id)).toEqual(['database:app-db:connect_branch', 'database:app-db:read_branch'])
    expect(main.exported.PLANETSCALE_SERVICE_TOKEN_ID).toBe(id)
    expect(main.outputs.token).toBe(main.exported.PLANETSCALE_SERVICE_TOKEN)
    expect(s.emu.planetscale.authenticates({ id, token: main.outputs.token! })).toBe(true)
    // Masked: the value appears only in ::add-mask:: lines.
    expect(findLeaks({ ...main, outputs: {} }, s.secrets())).toEqual([])
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)

    const post = await runAction(jobInputs(s), { env, postOf: main })
    expect(post.code).toBe(0)
    expect(s.emu.planetscale.isAlive(id)).toBe(false)
    expect(findLeaks(post, s.secrets())).toEqual([])
  })

  test('export-env: false exports nothing; the token output still carries it', async () => {
    const s = await start()
    const main = await runAction(jobInputs(s, { 'export-env': 'false' }), { env: s.env })
    expect(main.code).toBe(0)
    expect(main.exported).toEqual({})
    expect(main.outputs.token).toMatch(/^pscale_tkn_/)
    await runAction(jobInputs(s), { env: s.env, postOf: main })
    expect(s.emu.planetscale.isAlive(main.outputs['token-id']!)).toBe(false)
  })

  test('main killed right after the create: post finds the token by its name and deletes it', async () => {
    const s = await start()
    const held = s.emu.holdAt({ api: 'planetscale', method: 'POST', path: /\/service-tokens$/, phase: 'after' })
    let pid: number | undefined
    const running = runAction(jobInputs(s), { env: s.env, onStart: (p) => (pid = p) })
    await held
    process.kill(pid!, 'SIGKILL')
    const main = await running
    s.emu.releaseHolds()
    const made = s.emu.planetscale.tokens(ORG).filter((t) => !s.tokensBefore.has(t.id))
    expect(made).toHaveLength(1)
    expect(main.state['job-token-id']).toBeUndefined()
    const post = await runAction(jobInputs(s), { env: s.env, postOf: main })
    expect(post.code).toBe(0)
    expect(s.emu.planetscale.isAlive(made[0]!.id)).toBe(false)
  })

  test('two jobs at once get a token each; each post step deletes only its own', async () => {
    const s = await start()
    const [a, b] = await Promise.all(
      ['801', '802'].map((id) => runAction(jobInputs(s), { env: { ...s.env, GITHUB_RUN_ID: id } }))
    )
    expect([a!.code, b!.code]).toEqual([0, 0])
    const [idA, idB] = [a!.outputs['token-id']!, b!.outputs['token-id']!]
    expect(idA).not.toBe(idB)
    await runAction(jobInputs(s), { env: { ...s.env, GITHUB_RUN_ID: '801' }, postOf: a })
    expect(s.emu.planetscale.isAlive(idA)).toBe(false)
    expect(s.emu.planetscale.isAlive(idB)).toBe(true)
    await runAction(jobInputs(s), { env: { ...s.env, GITHUB_RUN_ID: '802' }, postOf: b })
    expect(s.emu.planetscale.isAlive(idB)).toBe(false)
  })

  test('the main step fails after the create: it deletes the token itself; the post step is fine with that', async () => {
    const s = await start()
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: /\/access$/,
      times: Infinity,
      response: { status: 500, body: { code: 'internal' } }
    })
    const main = await runAction(jobInputs(s), { env: s.env })
    expect(main.code).toBe(1)
    expect(failure(main)).toMatch(/grant/i)
    s.emu.clearFaults()
    const post = await runAction(jobInputs(s), { env: s.env, postOf: main })
    expect(post.code).toBe(0)
    expect(s.emu.planetscale.tokens(ORG).filter((t) => !s.tokensBefore.has(t.id))).toEqual([])
    expect(findLeaks(post, s.secrets())).toEqual([])
  })

  test('a cancelled job (SIGTERM while the token is being tested): no job token is left after the post step', async () => {
    const s = await start()
    // The new token's test waits: the cancellation arrives while the token exists.
    s.emu.setLatency({ routes: [{ api: 'planetscale', method: 'GET', path: '/organizations', ms: 400 }] })
    const created = s.emu.holdAt({ api: 'planetscale', method: 'POST', path: /\/access$/, phase: 'after' })
    let pid: number | undefined
    const running = runAction(jobInputs(s), { env: s.env, onStart: (p) => (pid = p) })
    await created
    process.kill(pid!, 'SIGTERM')
    s.emu.releaseHolds()
    const main = await running
    expect(main.code).not.toBe(0)
    // A cancelled job gets no token: nothing exported, no output.
    expect(main.exported).toEqual({})
    expect(main.outputs.token).toBeUndefined()
    const post = await runAction(jobInputs(s), { env: s.env, postOf: main })
    expect(post.code).toBe(0)
    expect(s.emu.planetscale.tokens(ORG).filter((t) => !s.tokensBefore.has(t.id))).toEqual([])
    expect(findLeaks(main, s.secrets())).toEqual([])
  })

  test('the post step cannot delete the token: a warning names it and its expiry; the job does not fail', async () => {
    const s = await start()
    const main = await runAction(jobInputs(s, { ttl: '30m' }), { env: s.env })
    expect(main.code).toBe(0)
    const id = main.outputs['token-id']!
    s.emu.addFault({
      api: 'planetscale',
      method: 'DELETE',
      path: new RegExp(`/service-tokens/${id}$`),
      times: Infinity,
      response: { status: 403, body: { code: 'forbidden', message: 'Forbidden' } }
    })
    const post = await runAction(jobInputs(s), { env: s.env, postOf: main })
    expect(post.code).toBe(0)
    const warning = annotations(post, 'warning').join('\n')
    expect(warning).toContain(`Could not delete this job's token ${id}`)
    expect(warning).toContain(`stays valid until ${main.outputs['expires-at']}`)
    expect(warning).toContain(`token-id: ${id}`)
    expect(s.emu.planetscale.isAlive(id)).toBe(true)
    expect(findLeaks(post, s.secrets())).toEqual([])
  })

  test('for other commands the post step does nothing', async () => {
    const s = await start()
    const main = await runAction({ ...s.inputs, command: 'list' }, { env: s.env })
    s.emu.clearLog()
    const post = await runAction({ ...s.inputs, command: 'list' }, { env: s.env, postOf: main })
    expect(post.code).toBe(0)
    expect(s.emu.log).toEqual([])
  })

  test.each([
    ['no accesses', { accesses: '' }, /Input "accesses"/],
    ['a ttl over 7 days', { ttl: '8d' }, /Input "ttl"/],
    ['targets', { targets: 'repo:acme/api' }, /Input "targets"/],
    ['an access the management token does not hold', { accesses: 'database=app-db delete_branch' }, /does not hold/]
  ])('bad input (%s): refused, nothing changed', async (_name, extra, message) => {
    const s = await start()
    const main = await runAction(jobInputs(s, extra as Record<string, string>), { env: s.env })
    expect(main.code).toBe(1)
    expect(failure(main)).toMatch(message)
    expect(writes(s.emu)).toEqual([])
  })
})
