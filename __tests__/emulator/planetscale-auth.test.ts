import { afterEach, describe, expect, test } from '@jest/globals'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { manualClock, ps, startSeeded } from './helpers.js'

let emu: Emulator
afterEach(() => emu?.stop())

const TOKENS = '/organizations/acme/service-tokens'

describe('PlanetScale authentication', () => {
  test('a valid pair lists its organization and last_used_at moves', async () => {
    const clock = manualClock()
    ;({ emu } = await startSeeded({ clock: clock.now }))
    const token = emu.planetscale.addToken('acme', { accesses: [] })
    expect(emu.planetscale.token(token.id)?.lastUsedAt).toBeNull()
    clock.advance(5000)
    const res = await ps(emu, 'GET', '/organizations', token)
    expect(res.status).toBe(200)
    expect(res.json.data.map((o: { name: string }) => o.name)).toEqual(['acme'])
    expect(res.json.next_page).toBeNull()
    expect(emu.planetscale.token(token.id)?.lastUsedAt).toBe(new Date(clock.now()).toISOString())
  })

  test.each([
    ['unknown id', (t: { id: string; token: string }) => `zzzzzzzzzzzz:${t.token}`],
    ['wrong secret', (t: { id: string; token: string }) => `${t.id}:pscale_tkn_wrong`],
    ['no colon', (t: { id: string; token: string }) => t.token],
    ['empty', () => '']
  ])('%s → 401 unauthorized', async (_, header) => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const res = await ps(emu, 'GET', '/organizations', header(seed.token) || undefined)
    expect(res.status).toBe(401)
    expect(res.json).toEqual({ code: 'unauthorized', message: expect.any(String) })
  })

  test('a deleted token no longer authenticates', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const other = emu.planetscale.addToken('acme', { accesses: [] })
    expect((await ps(emu, 'GET', '/organizations', other)).status).toBe(200)
    expect((await ps(emu, 'DELETE', `${TOKENS}/${other.id}`, seed.token)).status).toBe(204)
    expect((await ps(emu, 'GET', '/organizations', other)).status).toBe(401)
    expect(emu.planetscale.authenticates(other)).toBe(false)
    expect(emu.planetscale.isAlive(other.id)).toBe(false)
  })

  test('a token stops working when it expires', async () => {
    const clock = manualClock()
    emu = await startEmulator({ clock: clock.now })
    emu.planetscale.addOrganization('acme')
    const t = emu.planetscale.addToken('acme', { ttlSeconds: 60, accesses: [] })
    expect((await ps(emu, 'GET', '/organizations', t)).status).toBe(200)
    clock.advance(60_000)
    expect((await ps(emu, 'GET', '/organizations', t)).status).toBe(401)
    expect(emu.planetscale.isAlive(t.id)).toBe(false)
    expect(emu.planetscale.tokens('acme')).toEqual([])
  })

  test('a token seeded in the past with a ttl is already expired', async () => {
    emu = await startEmulator()
    emu.planetscale.addOrganization('acme')
    const t = emu.planetscale.addToken('acme', {
      createdAt: new Date(Date.now() - 2 * 86_400_000),
      ttlSeconds: 86_400,
      accesses: []
    })
    expect(emu.planetscale.authenticates(t)).toBe(false)
    expect((await ps(emu, 'GET', '/organizations', t)).status).toBe(401)
  })

  test('404 mode answers bad credentials like a missing resource', async () => {
    let seed
    ;({ emu, seed } = await startSeeded({ planetscale: { badCredentialsStatus: 404 } }))
    const res = await ps(emu, 'GET', '/organizations', `${seed.token.id}:pscale_tkn_nope`)
    expect(res.status).toBe(404)
    expect(res.json).toEqual({ code: 'not_found', message: 'Not Found' })
    expect((await ps(emu, 'GET', '/organizations', seed.token)).status).toBe(200)
  })
})

describe('PlanetScale access checks', () => {
  const limitedToken = (access: string[]) =>
    emu.planetscale.addToken('acme', { accesses: access.length ? [{ organization: true, access }] : [] })

  test.each([
    ['GET', TOKENS, 'read_service_tokens'],
    ['POST', TOKENS, 'write_service_tokens'],
    ['GET', `${TOKENS}/ID`, 'read_service_tokens'],
    ['DELETE', `${TOKENS}/ID`, 'delete_service_tokens'],
    ['GET', `${TOKENS}/ID/access`, 'read_service_tokens'],
    ['POST', `${TOKENS}/ID/access`, 'write_service_tokens'],
    ['DELETE', `${TOKENS}/ID/access`, 'write_service_tokens']
  ])('%s %s needs %s', async (method, path, needed) => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const everythingElse = ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens'].filter(
      (a) => a !== needed
    )
    const without = limitedToken(everythingElse)
    const withIt = limitedToken([needed])
    const url = path.replace('ID', seed.token.id)
    // Grant what the caller holds; revoke something harmless.
    const body =
      !path.endsWith('/access') || method === 'GET'
        ? undefined
        : { database: '', access: method === 'POST' ? [needed] : ['read_databases'] }

    const denied = await ps(emu, method, url, without, body)
    expect(denied.status).toBe(403)
    expect(denied.json.code).toBe('forbidden')
    const allowed = await ps(emu, method, url, withIt, body)
    expect(allowed.status).toBeGreaterThanOrEqual(200)
    expect(allowed.status).toBeLessThan(300)
  })

  test('missingAccessStatus 404 answers a missing access with not_found', async () => {
    ;({ emu } = await startSeeded({ planetscale: { missingAccessStatus: 404 } }))
    const t = limitedToken([])
    const res = await ps(emu, 'GET', TOKENS, t)
    expect(res.status).toBe(404)
    expect(res.json).toEqual({ code: 'not_found', message: 'Not Found' })
  })

  test('a database-level access does not stand in for the organization-level one', async () => {
    ;({ emu } = await startSeeded())
    const t = emu.planetscale.addToken('acme', { accesses: [{ database: 'app-db', access: ['read_branch'] }] })
    expect((await ps(emu, 'GET', TOKENS, t)).status).toBe(403)
  })

  test('another organization, an unknown token, an unknown route → 404', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    emu.planetscale.addOrganization('other')
    expect((await ps(emu, 'GET', '/organizations/other/service-tokens', seed.token)).json).toEqual({
      code: 'not_found',
      message: 'Not Found'
    })
    expect((await ps(emu, 'GET', '/organizations/nope/service-tokens', seed.token)).status).toBe(404)
    expect((await ps(emu, 'GET', `${TOKENS}/aaaaaaaaaaaa`, seed.token)).status).toBe(404)
    expect((await ps(emu, 'GET', '/organizations/acme/databases', seed.token)).status).toBe(404)
    const outside = await fetch(emu.planetscaleUrl.replace('/v1', '/organizations'), {
      headers: { authorization: `${seed.token.id}:${seed.token.token}` }
    })
    expect(outside.status).toBe(404)
  })
})
