import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, ps, putSecret, startSeeded } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
beforeEach(async () => {
  ;({ emu, seed } = await startSeeded())
})
afterEach(() => emu.stop())

const TOKENS = '/organizations/acme/service-tokens'

async function waitFor(predicate: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('fault rules', () => {
  test('a status fault replaces the answer and changes nothing; JSON, text and empty bodies', async () => {
    emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: TOKENS,
      response: { status: 503, body: { code: 'unavailable' }, headers: { 'retry-after': '2' } }
    })
    const before = emu.planetscale.tokens('acme').length
    const res = await ps(emu, 'POST', TOKENS, seed.token, { name: 'x' })
    expect(res.status).toBe(503)
    expect(res.json).toEqual({ code: 'unavailable' })
    expect(res.headers.get('retry-after')).toBe('2')
    expect(emu.planetscale.tokens('acme')).toHaveLength(before)
    expect((await ps(emu, 'POST', TOKENS, seed.token, { name: 'x' })).status).toBe(200) // times defaults to 1

    emu.addFault({ path: '/organizations', response: { status: 502, body: '<html>Bad gateway</html>' } })
    const html = await ps(emu, 'GET', '/organizations', seed.token)
    expect([html.status, html.text, html.headers.get('content-type')]).toEqual([
      502,
      '<html>Bad gateway</html>',
      'text/plain; charset=utf-8'
    ])
    emu.addFault({ path: '/organizations', response: { status: 500 } })
    expect((await ps(emu, 'GET', '/organizations', seed.token)).text).toBe('')
  })

  test('nth and times pick which matching calls fail; other calls do not count', async () => {
    emu.addFault({ api: 'planetscale', path: '/organizations', nth: 2, times: 2, response: { status: 500 } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token) // not matching
      statuses.push((await ps(emu, 'GET', '/organizations', seed.token)).status)
    }
    expect(statuses).toEqual([200, 500, 500, 200, 200])
  })

  test('times: Infinity, and clearFaults / removeFault', async () => {
    const id = emu.addFault({ path: /^\/repos\/acme\/api$/, times: Infinity, response: { status: 500 } })
    for (let i = 0; i < 3; i++) expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(500)
    emu.removeFault(id)
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
    emu.addFault({ path: /./, times: Infinity, response: { status: 500 } })
    emu.clearFaults()
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
  })

  test('a path matches with or without the base prefix; api and method filter', async () => {
    emu.addFault({ path: '/api/v3/repos/acme/api', response: { status: 418 } })
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(418)
    emu.addFault({ api: 'planetscale', path: '/repos/acme/api', response: { status: 418 } })
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
    emu.addFault({ method: 'PUT', path: /\/secrets\/X$/, response: { status: 418 } })
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/X', seed.githubToken)).status).toBe(404)
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'X', 'v')).status).toBe(418)
  })

  test('reset destroys the connection', async () => {
    emu.addFault({ api: 'github', path: '/repos/acme/api', response: { reset: true } })
    await expect(gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).rejects.toThrow()
    await waitFor(() => emu.log.some((e) => e.status === 'reset'))
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
  })

  test('hang outlasts a shorter client timeout, then drops the connection', async () => {
    emu.addFault({ path: '/organizations', response: { hangMs: 1000 } })
    const started = Date.now()
    const call = fetch(`${emu.planetscaleUrl}/organizations`, {
      headers: { authorization: `${seed.token.id}:${seed.token.token}` },
      signal: AbortSignal.timeout(50)
    })
    await expect(call).rejects.toThrow(/timeout|abort/i)
    expect(Date.now() - started).toBeLessThan(700)
    await waitFor(() => emu.log.some((e) => e.status === 'hang'))
    const entry = emu.log.find((e) => e.status === 'hang')!
    expect(entry.endedAt - entry.startedAt).toBeGreaterThanOrEqual(990)
  })

  test('phase "after": the call takes effect but its answer is lost', async () => {
    emu.addFault({ method: 'POST', path: TOKENS, phase: 'after', response: { reset: true } })
    const before = emu.planetscale.tokens('acme').length
    await expect(ps(emu, 'POST', TOKENS, seed.token, { name: 'lost' })).rejects.toThrow()
    expect(emu.planetscale.tokens('acme').map((t) => t.name)).toContain('lost')
    expect(emu.planetscale.tokens('acme')).toHaveLength(before + 1)
  })

  test('invalid rules are refused', () => {
    expect(() => emu.addFault({ path: '/x', nth: 0, response: { status: 500 } })).toThrow(/nth/)
    expect(() => emu.addFault({ path: '/x', times: 0, response: { status: 500 } })).toThrow(/times/)
  })
})

describe('latency', () => {
  test('latencyMs applies to both APIs; routes override it; setLatency updates at run time', async () => {
    await emu.stop()
    ;({ emu, seed } = await startSeeded({ latencyMs: 300 }))
    const timed = async (call: () => Promise<unknown>) => {
      const t = performance.now()
      await call()
      return performance.now() - t
    }
    expect(await timed(() => ps(emu, 'GET', '/organizations', seed.token))).toBeGreaterThanOrEqual(295)
    expect(await timed(() => gh(emu, 'GET', '/repos/acme/api', seed.githubToken))).toBeGreaterThanOrEqual(295)
    emu.setLatency({ github: 0, routes: [{ api: 'planetscale', method: 'GET', path: '/organizations', ms: 0 }] })
    expect(await timed(() => ps(emu, 'GET', '/organizations', seed.token))).toBeLessThan(200)
    expect(await timed(() => gh(emu, 'GET', '/repos/acme/api', seed.githubToken))).toBeLessThan(200)
    expect(await timed(() => ps(emu, 'GET', TOKENS, seed.token))).toBeGreaterThanOrEqual(295)
  })
})

describe('log', () => {
  test('one entry per call, in arrival order, with labels instead of credentials', async () => {
    emu.clearLog()
    await ps(emu, 'GET', `${TOKENS}?page=2&per_page=5`, seed.token)
    await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'PLANETSCALE_SERVICE_TOKEN', seed.token.token)
    await ps(emu, 'GET', '/organizations', `${seed.token.id}:wrong`)
    await gh(emu, 'GET', '/repos/acme/api', undefined)

    expect(emu.log.map((e) => [e.api, e.method, e.path, e.status])).toEqual([
      ['planetscale', 'GET', TOKENS, 200],
      ['github', 'GET', '/repos/acme/api/actions/secrets/public-key', 200],
      ['github', 'PUT', '/repos/acme/api/actions/secrets/PLANETSCALE_SERVICE_TOKEN', 201],
      ['planetscale', 'GET', '/organizations', 401],
      ['github', 'GET', '/repos/acme/api', 401]
    ])
    const [first, , put] = emu.log
    expect(first).toMatchObject({ query: { page: '2', per_page: '5' }, authorization: `planetscale:${seed.token.id}` })
    expect(put!.authorization).toBe(`github:${seed.githubToken.slice(0, 8)}…`)
    expect(emu.log[4]!.authorization).toBeUndefined()
    const seqs = emu.log.map((e) => e.seq)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    for (const e of emu.log) expect(e.endedAt).toBeGreaterThanOrEqual(e.startedAt)

    const text = JSON.stringify(emu.log)
    for (const secret of [...emu.planetscale.tokenSecrets(), seed.githubToken]) expect(text).not.toContain(secret)
  })

  test('a malformed PlanetScale header (a bare secret) is not logged', async () => {
    await ps(emu, 'GET', '/organizations', seed.token.token)
    expect(emu.log.at(-1)!.authorization).toBe('planetscale:malformed')
  })

  test('concurrent calls: the log stays in arrival order and the peak is measured', async () => {
    emu.clearLog()
    emu.setLatency({ routes: [{ path: '/repos/acme/api', ms: 100 }] })
    await Promise.all([
      gh(emu, 'GET', '/repos/acme/api', seed.githubToken),
      (async () => {
        await new Promise((r) => setTimeout(r, 20))
        await gh(emu, 'GET', '/rate_limit', seed.githubToken)
      })()
    ])
    expect(emu.log.map((e) => e.path)).toEqual(['/repos/acme/api', '/rate_limit'])
    expect(emu.log[1]!.endedAt).toBeLessThan(emu.log[0]!.endedAt)
    expect(emu.github.concurrency).toEqual({ current: 0, peak: 2 })
    emu.clearLog()
    expect(emu.github.concurrency.peak).toBe(0)
  })

  test('onRequest sees every entry', async () => {
    await emu.stop()
    const seen: string[] = []
    ;({ emu, seed } = await startSeeded({ onRequest: (e) => seen.push(`${e.method} ${e.path} ${e.status}`) }))
    await ps(emu, 'GET', '/organizations', seed.token)
    expect(seen).toEqual(['GET /organizations 200'])
  })
})

describe('snapshot', () => {
  test('alive tokens with their accesses, every scope with its plaintext secrets and its variables', async () => {
    emu.github.putSecretPlain('repo:acme/api', 'A', 'one')
    emu.github.putVariable('org:acme', 'J', '{"v":1}')
    const snap = emu.snapshot()
    expect(snap.planetscale.acme!.tokens).toEqual([
      {
        id: seed.token.id,
        name: 'demo/management',
        expiresAt: null,
        accesses: emu.planetscale.accessSet(seed.token.id)
      }
    ])
    expect(snap.github['repo:acme/api']).toEqual({ A: 'one' })
    expect(Object.keys(snap.github).sort()).toEqual(emu.github.scopeKeys().sort())
    // Dependabot scopes hold no variables, so they are left out.
    expect(snap.variables).toEqual({
      'repo:acme/api': {},
      'environment:acme/api/production': {},
      'org:acme': { J: '{"v":1}' }
    })
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap)
  })
})
