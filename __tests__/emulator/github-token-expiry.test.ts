import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, manualClock, startSeeded } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
let clock: ReturnType<typeof manualClock>
beforeEach(async () => {
  clock = manualClock(Date.parse('2026-12-02T06:00:00.000Z'))
  ;({ emu, seed } = await startSeeded({ clock: clock.now }))
})
afterEach(() => emu.stop())

const HEADER = 'github-authentication-token-expiration'
const EXPIRES = new Date('2026-12-02T07:00:00.000Z')

describe('GitHub token expiry', () => {
  test('every response for an expiring token names its expiry, fault and refusal answers included', async () => {
    emu.github.addToken('ghs_app', { scopes: 'all', expiresAt: EXPIRES })
    const ok = await gh(emu, 'GET', '/repos/acme/api', 'ghs_app')
    expect([ok.status, ok.headers.get(HEADER)]).toEqual([200, '2026-12-02 07:00:00 UTC'])
    emu.addFault({ path: '/repos/acme/api', response: { status: 502, body: 'edge' } })
    expect((await gh(emu, 'GET', '/repos/acme/api', 'ghs_app')).headers.get(HEADER)).toBe('2026-12-02 07:00:00 UTC')
    expect((await gh(emu, 'GET', '/repos/acme/missing', 'ghs_app')).headers.get(HEADER)).toBe('2026-12-02 07:00:00 UTC')
    // Tokens without an expiry (and unknown ones) send none.
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).headers.get(HEADER)).toBeNull()
    expect((await gh(emu, 'GET', '/repos/acme/api', 'ghs_unknown')).headers.get(HEADER)).toBeNull()
  })

  test('once the clock reaches expiresAt the token is bad credentials, for every route', async () => {
    emu.github.addToken('ghs_app', { scopes: 'all', expiresAt: EXPIRES })
    clock.set(EXPIRES.getTime() - 1)
    expect((await gh(emu, 'GET', '/repos/acme/api', 'ghs_app')).status).toBe(200)
    clock.set(EXPIRES.getTime())
    for (const path of ['/repos/acme/api', '/rate_limit', '/repos/acme/api/actions/variables']) {
      const refused = await gh(emu, 'GET', path, 'ghs_app')
      expect([path, refused.status, refused.json.message]).toEqual([path, 401, 'Bad credentials'])
      expect(refused.headers.get(HEADER)).toBe('2026-12-02 07:00:00 UTC')
    }
    // Other tokens are unaffected.
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
  })

  test('expiresAfterRequests answers N requests and refuses the N+1th and every later one', async () => {
    emu.github.addToken('ghs_three', { scopes: 'all', expiresAfterRequests: 3 })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await gh(emu, 'GET', '/repos/acme/api', 'ghs_three')).status)
    expect(statuses).toEqual([200, 200, 200, 401, 401])
    emu.github.addToken('ghs_zero', { scopes: 'all', expiresAfterRequests: 0 })
    expect((await gh(emu, 'GET', '/rate_limit', 'ghs_zero')).status).toBe(401)
  })

  test('a refused write changes nothing', async () => {
    emu.github.addToken('ghs_one', { scopes: 'all', expiresAfterRequests: 1 })
    const path = '/repos/acme/api/actions/variables'
    expect((await gh(emu, 'POST', path, 'ghs_one', { name: 'A', value: 'v' })).status).toBe(201)
    expect((await gh(emu, 'PATCH', `${path}/A`, 'ghs_one', { value: 'w' })).status).toBe(401)
    expect(emu.github.variable('repo:acme/api', 'A')?.value).toBe('v')
  })

  test('expireToken refuses a token from now on', async () => {
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
    emu.github.expireToken(seed.githubToken)
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(401)
    expect(() => emu.github.expireToken('ghs_unknown')).toThrow(/unknown token/)
  })

  test('invalid expiry options are refused', () => {
    expect(() => emu.github.addToken('t', { scopes: 'all', expiresAt: new Date('nope') })).toThrow(/expiresAt/)
    expect(() => emu.github.addToken('t', { scopes: 'all', expiresAfterRequests: -1 })).toThrow(/expiresAfterRequests/)
    expect(() => emu.github.addToken('t', { scopes: 'all', expiresAfterRequests: 1.5 })).toThrow(/expiresAfterRequests/)
  })
})
