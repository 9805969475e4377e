import { afterEach, describe, expect, test } from '@jest/globals'
import type { Emulator } from '../../emulator/index.js'
import { manualClock, ps, startSeeded } from './helpers.js'

let emu: Emulator
afterEach(() => emu?.stop())

const TOKENS = '/organizations/acme/service-tokens'

async function newToken(emu: Emulator, creator: { id: string; token: string }) {
  const res = await ps(emu, 'POST', TOKENS, creator, { name: 'new' })
  return { id: res.json.id as string, token: res.json.token as string }
}

describe('PlanetScale grants', () => {
  test('database and organization grants (database "") land on the new token', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const fresh = await newToken(emu, seed.token)
    const db = await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, {
      database: 'app-db',
      access: ['read_branch', 'connect_branch']
    })
    expect(db.status).toBe(200)
    expect(db.json.data).toEqual([
      {
        id: expect.any(String),
        type: 'DatabaseAccess',
        access: 'read_branch',
        resource: { id: expect.any(String), type: 'Database', name: 'app-db' }
      },
      expect.objectContaining({ access: 'connect_branch' })
    ])
    const org = await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, {
      database: '',
      access: ['read_service_tokens']
    })
    expect(org.status).toBe(200)
    expect(org.json.data[0]).toMatchObject({
      type: 'OrganizationAccess',
      resource: { type: 'Organization', name: 'acme' }
    })
    expect(emu.planetscale.accessSet(fresh.id)).toEqual([
      'database:app-db:connect_branch',
      'database:app-db:read_branch',
      'organization:read_service_tokens'
    ])
    // Granting again changes nothing.
    await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, { database: 'app-db', access: ['read_branch'] })
    expect(emu.planetscale.accessSet(fresh.id)).toHaveLength(3)
    // The new token can now use its organization access.
    expect((await ps(emu, 'GET', TOKENS, fresh)).status).toBe(200)
  })

  test('a token may only grant what it holds itself, on the same resource', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const fresh = await newToken(emu, seed.token)
    const expectRefused = async (body: unknown) => {
      const res = await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, body)
      expect(res.status).toBe(403)
      expect(res.json).toEqual({
        code: 'forbidden',
        message: 'You may only add service token accesses that you are also authorized to do'
      })
    }
    await expectRefused({ database: 'app-db', access: ['read_branch', 'delete_branch'] }) // one it lacks
    await expectRefused({ database: 'analytics', access: ['connect_branch'] }) // held on app-db only
    await expectRefused({ database: '', access: ['read_branch'] }) // held at database level only
    expect(emu.planetscale.accessSet(fresh.id)).toEqual([])
  })

  test('create_databases can never be granted by a service token', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const admin = emu.planetscale.addToken('acme', {
      accesses: [{ organization: true, access: ['write_service_tokens', 'create_databases'] }]
    })
    const res = await ps(emu, 'POST', `${TOKENS}/${seed.token.id}/access`, admin, {
      database: '',
      access: ['create_databases']
    })
    expect(res.status).toBe(403)
    expect(res.json.code).toBe('forbidden')
  })

  test.each([
    [{ database: 'app-db', access: ['read_brunch'] }, 422, 'unprocessable'],
    [{ database: 'app-db', access: [] }, 422, 'unprocessable'],
    [{ access: ['read_branch'] }, 422, 'unprocessable'],
    [{ database: 'nope', access: ['read_branch'] }, 404, 'not_found'],
    ['{"database":', 400, 'bad_request']
  ])('grant body %j → %i', async (body, status, code) => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const fresh = await newToken(emu, seed.token)
    const res = await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, body)
    expect(res.status).toBe(status)
    expect(res.json.code).toBe(code)
  })

  test('grant to an unknown token → 404', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const res = await ps(emu, 'POST', `${TOKENS}/aaaaaaaaaaaa/access`, seed.token, {
      database: '',
      access: ['read_databases']
    })
    expect(res.status).toBe(404)
  })

  test('propagation: for a while after a grant the access is neither usable nor listed', async () => {
    const clock = manualClock()
    let seed
    ;({ emu, seed } = await startSeeded({ clock: clock.now, planetscale: { accessPropagationMs: 2000 } }))
    const fresh = await newToken(emu, seed.token)
    await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, { database: '', access: ['read_service_tokens'] })
    expect(emu.planetscale.accessSet(fresh.id)).toEqual(['organization:read_service_tokens']) // state: granted

    expect((await ps(emu, 'GET', TOKENS, fresh)).status).toBe(403)
    expect((await ps(emu, 'GET', `${TOKENS}/${fresh.id}`, seed.token)).json.service_token_accesses).toEqual([])
    expect((await ps(emu, 'GET', `${TOKENS}/${fresh.id}/access`, seed.token)).json.data).toEqual([])

    clock.advance(2000)
    expect((await ps(emu, 'GET', TOKENS, fresh)).status).toBe(200)
    expect((await ps(emu, 'GET', `${TOKENS}/${fresh.id}`, seed.token)).json.service_token_accesses).toHaveLength(1)
  })

  test('propagation can be switched on at run time; seeded tokens are not delayed', async () => {
    const clock = manualClock()
    ;({ emu } = await startSeeded({ clock: clock.now }))
    emu.planetscale.configure({ accessPropagationMs: 500 })
    const seeded = emu.planetscale.addToken('acme', {
      accesses: [{ organization: true, access: ['read_service_tokens'] }]
    })
    expect((await ps(emu, 'GET', TOKENS, seeded)).status).toBe(200)
  })

  test('the flat access list and revoke', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const fresh = await newToken(emu, seed.token)
    await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, {
      database: 'app-db',
      access: ['read_branch', 'connect_branch']
    })
    const list = await ps(emu, 'GET', `${TOKENS}/${fresh.id}/access`, seed.token)
    expect(list.json).toMatchObject({ current_page: 1, next_page: null })
    expect(list.json.data.map((a: { access: string }) => a.access).sort()).toEqual(['connect_branch', 'read_branch'])

    const revoke = await ps(emu, 'DELETE', `${TOKENS}/${fresh.id}/access`, seed.token, {
      database: 'app-db',
      access: ['connect_branch']
    })
    expect(revoke.status).toBe(204)
    expect(emu.planetscale.accessSet(fresh.id)).toEqual(['database:app-db:read_branch'])
  })

  test('accesses on a deleted database stay on the token with deleted_at, out of accessSet', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    emu.planetscale.deleteDatabase('acme', 'analytics')
    const res = await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token)
    const analytics = res.json.service_token_accesses.filter(
      (a: { resource_name: string }) => a.resource_name === 'analytics'
    )
    expect(analytics.length).toBeGreaterThan(0)
    for (const a of analytics) expect(a.resource.deleted_at).toMatch(/Z$/)
    expect(emu.planetscale.accessSet(seed.token.id).some((k) => k.includes('analytics'))).toBe(false)
    const fresh = await newToken(emu, seed.token)
    expect(
      (
        await ps(emu, 'POST', `${TOKENS}/${fresh.id}/access`, seed.token, {
          database: 'analytics',
          access: ['read_branch']
        })
      ).status
    ).toBe(404)
  })
})
