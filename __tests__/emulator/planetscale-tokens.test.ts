import { afterEach, describe, expect, test } from '@jest/globals'
import type { Emulator } from '../../emulator/index.js'
import { manualClock, ps, startSeeded } from './helpers.js'

let emu: Emulator
afterEach(() => emu?.stop())

const TOKENS = '/organizations/acme/service-tokens'
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('PlanetScale tokens', () => {
  test('create answers 200 with the secret; get and list never show it again', async () => {
    const clock = manualClock()
    let seed
    ;({ emu, seed } = await startSeeded({ clock: clock.now }))
    const created = await ps(emu, 'POST', TOKENS, seed.token, { name: 'ci', ttl: 3600 })
    expect(created.status).toBe(200)
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^[a-z0-9]{12}$/),
      name: 'ci',
      display_name: 'ci',
      token: expect.stringMatching(/^pscale_tkn_[A-Za-z0-9_-]{43}$/),
      created_at: '2026-11-22T06:00:00.000Z',
      expires_at: '2026-11-22T07:00:00.000Z',
      last_used_at: null,
      actor_type: 'ServiceToken',
      service_token_accesses: []
    })
    const { id, token } = created.json
    expect(emu.planetscale.authenticates({ id, token })).toBe(true)
    expect(emu.planetscale.tokenSecrets()).toContain(token)

    const got = await ps(emu, 'GET', `${TOKENS}/${id}`, seed.token)
    expect(got.status).toBe(200)
    expect(got.json.token ?? null).toBeNull()
    const list = await ps(emu, 'GET', TOKENS, seed.token)
    expect(list.text).not.toContain(token)
    expect(list.text).not.toContain(seed.token.token)
    expect(got.text).not.toContain(token)
  })

  test('get shows accesses in the full shape, organization and database', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const res = await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token)
    expect(res.json.created_at).toMatch(ISO_MS)
    const accesses = res.json.service_token_accesses
    const org = accesses.find((a: { access: string }) => a.access === 'read_service_tokens')
    expect(org).toEqual({
      id: expect.any(String),
      access: 'read_service_tokens',
      description: expect.any(String),
      resource_name: 'acme',
      resource_id: expect.any(String),
      resource_type: 'Organization',
      resource: {
        id: org.resource_id,
        name: 'acme',
        created_at: expect.stringMatching(ISO_MS),
        updated_at: expect.stringMatching(ISO_MS),
        deleted_at: null
      }
    })
    const db = accesses.find(
      (a: { access: string; resource_name: string }) => a.access === 'read_branch' && a.resource_name === 'app-db'
    )
    expect(db).toMatchObject({ resource_type: 'Database', resource: { name: 'app-db', deleted_at: null } })
    const set = accesses.map((a: { resource_type: string; resource_name: string; access: string }) =>
      a.resource_type === 'Organization' ? `organization:${a.access}` : `database:${a.resource_name}:${a.access}`
    )
    expect(set.sort()).toEqual(emu.planetscale.accessSet(seed.token.id))
  })

  test('create without a body makes a token without name or expiry', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const res = await ps(emu, 'POST', TOKENS, seed.token)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ name: null, display_name: res.json.id, expires_at: null })
  })

  test.each([
    [{ ttl: 0 }, 422],
    [{ ttl: 1.5 }, 422],
    [{ ttl: '3600' }, 422],
    [{ name: 42 }, 422],
    [[], 422],
    ['{not json', 400]
  ])('create with %j → %i', async (body, status) => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const before = emu.planetscale.tokens('acme').length
    const res = await ps(emu, 'POST', TOKENS, seed.token, body)
    expect(res.status).toBe(status)
    expect(res.json.code).toBe(status === 400 ? 'bad_request' : 'unprocessable')
    expect(emu.planetscale.tokens('acme')).toHaveLength(before)
  })

  test('list pages across more than 100 tokens; per_page is capped at 100', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    for (let i = 0; i < 130; i++) emu.planetscale.addToken('acme', { name: `t${i}`, accesses: [] })
    const all = emu.planetscale.tokens('acme').map((t) => t.id)
    expect(all).toHaveLength(131)

    const first = await ps(emu, 'GET', TOKENS, seed.token)
    expect(first.json.data).toHaveLength(25)
    expect(first.json).toMatchObject({ current_page: 1, next_page: 2, prev_page: null, prev_page_url: null })
    expect(first.json.next_page_url).toBe(`${emu.planetscaleUrl}${TOKENS}?page=2&per_page=25`)

    const seen: string[] = []
    let page: number | null = 1
    while (page !== null) {
      const res = await ps(emu, 'GET', `${TOKENS}?page=${page}&per_page=500`, seed.token)
      expect(res.json.data.length).toBeLessThanOrEqual(100)
      seen.push(...res.json.data.map((t: { id: string }) => t.id))
      page = res.json.next_page
    }
    expect(seen).toEqual(all)

    const last = await ps(emu, 'GET', `${TOKENS}?page=2&per_page=100`, seed.token)
    expect(last.json).toMatchObject({ current_page: 2, next_page: null, next_page_url: null, prev_page: 1 })
    expect(last.json.data).toHaveLength(31)
    expect((await ps(emu, 'GET', `${TOKENS}?page=0`, seed.token)).status).toBe(422)
  })

  test('delete answers 204, then 404; get of a deleted token is 404', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const other = emu.planetscale.addToken('acme', { accesses: [] })
    expect((await ps(emu, 'DELETE', `${TOKENS}/${other.id}`, seed.token)).status).toBe(204)
    expect((await ps(emu, 'DELETE', `${TOKENS}/${other.id}`, seed.token)).json).toEqual({
      code: 'not_found',
      message: 'Not Found'
    })
    expect((await ps(emu, 'GET', `${TOKENS}/${other.id}`, seed.token)).status).toBe(404)
    expect(emu.planetscale.token(other.id)?.deletedAt).not.toBeNull()
    expect(emu.planetscale.selfDeletions).toEqual([])
  })

  test('a token may delete itself, and it is recorded', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    expect((await ps(emu, 'DELETE', `${TOKENS}/${seed.token.id}`, seed.token)).status).toBe(204)
    expect(emu.planetscale.selfDeletions).toEqual([seed.token.id])
    expect(emu.planetscale.isAlive(seed.token.id)).toBe(false)
  })
})
