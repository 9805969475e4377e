// A token's accesses in both of PlanetScale's shapes: `service_token_accesses` on the record
// (optional in the schema), or, when the record leaves it out, the flat `GET .../access` list.
// A missing field never reads as "no accesses".
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { RotationError } from '../../src/errors.js'
import { grantsFromAccesses } from '../../src/rotation/accesses.js'
import { api, expectNoSecretLogged, failure, harness, ORG, token } from './helpers.js'

const TOKENS = `/v1/organizations/${ORG}/service-tokens`
const ID = '8x1k2abcd0ef'
const ACCESS = `${TOKENS}/${ID}/access`

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

/** A token record without the optional field. */
function bare(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { service_token_accesses: _omitted, ...record } = token(id, extra)
  return record
}

/** An item of the flat list, as planetscale-go's GetAccess reads it. */
const flat = (access: string, type: string, name: string, extra: Record<string, unknown> = {}) => ({
  id: `acc_${access}`,
  type: `${type}Access`,
  access,
  resource: { id: `res_${name}`, type, name },
  ...extra
})

describe('getToken', () => {
  test('a record that lists its accesses: they are used, and /access is not asked', async () => {
    const listed = [{ access: 'read_branch', resource_type: 'Database', resource_name: 'app-db' }]
    const scope = api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, token(ID, { service_token_accesses: listed }))
    await expect(harness().client.getToken(ID)).resolves.toMatchObject({ service_token_accesses: listed })
    expect(scope.isDone()).toBe(true)
  })

  test('a record without the field: its accesses are read from the flat list, in the same shape', async () => {
    const scope = api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, bare(ID))
      .get(ACCESS)
      .query({ page: '1', per_page: '100' })
      .reply(200, {
        type: 'list',
        current_page: 1,
        next_page: null,
        data: [
          flat('read_service_tokens', 'Organization', ORG),
          flat('read_branch', 'Database', 'app-db'),
          flat('connect_branch', 'Database', 'app-db'),
          flat('read_branch', 'Database', 'analytics')
        ]
      })
    const record = await harness().client.getToken(ID)
    expect(record.service_token_accesses?.[1]).toEqual({
      id: 'acc_read_branch',
      access: 'read_branch',
      resource_type: 'Database',
      resource_name: 'app-db',
      resource_id: 'res_app-db',
      resource: { id: 'res_app-db', name: 'app-db', deleted_at: null }
    })
    expect(grantsFromAccesses(record.service_token_accesses ?? [], ID)).toEqual([
      { database: '', access: ['read_service_tokens'] },
      { database: 'app-db', access: ['connect_branch', 'read_branch'] },
      { database: 'analytics', access: ['read_branch'] }
    ])
    expect(scope.isDone()).toBe(true)
  })

  test('a null field says nothing either: the flat list is read', async () => {
    const scope = api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, token(ID, { service_token_accesses: null }))
      .get(ACCESS)
      .query(true)
      .reply(200, { next_page: null, data: [flat('read_branch', 'Database', 'app-db')] })
    const record = await harness().client.getToken(ID)
    expect(record.service_token_accesses?.map((a) => a.access)).toEqual(['read_branch'])
    expect(scope.isDone()).toBe(true)
  })

  test('the flat list is followed across pages', async () => {
    const scope = api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, bare(ID))
      .get(ACCESS)
      .query({ page: '1', per_page: '100' })
      .reply(200, { next_page: 2, data: [flat('read_branch', 'Database', 'app-db')] })
      .get(ACCESS)
      .query({ page: '2', per_page: '100' })
      .reply(200, { next_page: null, data: [flat('create_branch', 'Database', 'app-db')] })
    const record = await harness().client.getToken(ID)
    expect(record.service_token_accesses?.map((a) => a.access)).toEqual(['read_branch', 'create_branch'])
    expect(scope.isDone()).toBe(true)
  })

  test("an item without a resource type takes it from the item's type (DatabaseAccess)", async () => {
    api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, bare(ID))
      .get(ACCESS)
      .query(true)
      .reply(200, {
        next_page: null,
        data: [{ id: 'acc_1', type: 'DatabaseAccess', access: 'read_branch', resource: { name: 'app-db' } }]
      })
    const record = await harness().client.getToken(ID)
    expect(grantsFromAccesses(record.service_token_accesses ?? [], ID)).toEqual([
      { database: 'app-db', access: ['read_branch'] }
    ])
  })

  test.each([
    ['an unknown resource type', { resource: { id: 'b1', type: 'Branch', name: 'main' } }, /type "Branch"/],
    ['no type at all', { type: undefined, resource: { id: 'b1', name: 'main' } }, /type "\(none\)"/]
  ])('%s is kept, so that copying the accesses fails loudly', async (_what, extra, says) => {
    api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, bare(ID))
      .get(ACCESS)
      .query(true)
      .reply(200, {
        next_page: null,
        data: [flat('read_branch', 'Database', 'app-db'), flat('read_branch', 'Database', 'x', extra)]
      })
    const record = await harness().client.getToken(ID)
    expect(record.service_token_accesses).toHaveLength(2)
    expect(() => grantsFromAccesses(record.service_token_accesses ?? [], ID)).toThrow(RotationError)
    expect(() => grantsFromAccesses(record.service_token_accesses ?? [], ID)).toThrow(says)
  })

  test('an empty flat list is the one way to learn that a token has no accesses', async () => {
    api().get(`${TOKENS}/${ID}`).reply(200, bare(ID)).get(ACCESS).query(true).reply(200, { next_page: null, data: [] })
    await expect(harness().client.getToken(ID)).resolves.toMatchObject({ service_token_accesses: [] })
  })

  test('a flat list that fails is an error naming that step and its access, never "no accesses"', async () => {
    api().get(`${TOKENS}/${ID}`).reply(200, bare(ID)).get(ACCESS).query(true).reply(403, { code: 'forbidden' })
    const error = await failure(harness().client.getToken(ID))
    expect(error.message).toContain(`PlanetScale read the accesses of token ${ID} in organization "${ORG}" failed`)
    expect(error.message).toContain('lacks an access this step needs: read_service_tokens')
  })

  test.each([
    ['no list', { next_page: null }, 'page 1 had no access list'],
    [
      'an item without an access name',
      { next_page: null, data: [{ id: 'a', type: 'DatabaseAccess' }] },
      'page 1 had a malformed access'
    ]
  ])('a flat answer with %s is an error', async (_what, body, says) => {
    api().get(`${TOKENS}/${ID}`).reply(200, bare(ID)).get(ACCESS).query(true).reply(200, body)
    const error = await failure(harness().client.getToken(ID))
    expect(error.message).toContain(says)
  })
})

describe('listTokens', () => {
  test('items without the field keep it absent (unknown), not empty; /access is not asked per token', async () => {
    const scope = api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [bare('aaaaaaaaaaa1'), token('aaaaaaaaaaa2')] })
    const [first, second] = await harness().client.listTokens()
    expect(first).not.toHaveProperty('service_token_accesses')
    expect(second).toHaveProperty('service_token_accesses', [])
    expect(scope.isDone()).toBe(true)
  })
})

describe('a create whose answer was lost, with list items that leave out their accesses', () => {
  const NAME = 'github-actions/acme/api'
  const lostAt = new Date().toISOString()

  test('the orphan is recognised by reading its accesses (none), then deleted', async () => {
    api('json').post(TOKENS).reply(500)
    const scope = api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [bare('orphan000001', { name: NAME, created_at: lostAt })] })
      .get(`${TOKENS}/orphan000001/access`)
      .query(true)
      .reply(200, { next_page: null, data: [] })
      .delete(`${TOKENS}/orphan000001`)
      .reply(204)
    const error = await failure(harness().client.createToken({ name: NAME }))
    expect(error.message).toContain('PlanetScale had made the token anyway (orphan000001)')
    expect(scope.isDone()).toBe(true)
  })

  test('a token of that name that holds accesses is not the orphan: it is left alone', async () => {
    api('json').post(TOKENS).reply(500)
    const scope = api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [bare('inuse0000001', { name: NAME, created_at: lostAt })] })
      .get(`${TOKENS}/inuse0000001/access`)
      .query(true)
      .reply(200, { next_page: null, data: [flat('read_branch', 'Database', 'app-db')] })
    const deleted = api().delete(`${TOKENS}/inuse0000001`).reply(204)
    const error = await failure(harness().client.createToken({ name: NAME }))
    expect(error.message).toContain(`No token named "${NAME}" was found afterwards`)
    expect(scope.isDone()).toBe(true)
    expect(deleted.isDone()).toBe(false)
  })

  test('when its accesses cannot be read, nothing is deleted and the generic advice stands', async () => {
    api('json').post(TOKENS).reply(500)
    const scope = api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [bare('unknown00001', { name: NAME, created_at: lostAt })] })
      .get(`${TOKENS}/unknown00001/access`)
      .query(true)
      .reply(503)
    const deleted = api().delete(`${TOKENS}/unknown00001`).reply(204)
    const h = harness()
    const error = await failure(h.client.createToken({ name: NAME }))
    expect(error.message).toContain(`delete any token named "${NAME}" that no secret uses`)
    expect(scope.isDone()).toBe(true)
    expect(deleted.isDone()).toBe(false)
    expect(h.logs.join('\n')).toContain('read the accesses of token unknown00001')
  })
})
