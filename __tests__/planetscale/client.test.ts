// Endpoint methods: the exact requests sent and how answers are read.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import {
  api,
  BASE_URL,
  CREDENTIALS,
  expectNoSecretLogged,
  failure,
  harness,
  NEW_SECRET,
  ORG,
  organizations,
  ORIGIN,
  token
} from './helpers.js'

const TOKENS = `/v1/organizations/${ORG}/service-tokens`

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

describe('listOrganizations', () => {
  test('GETs /organizations and returns the names from the list wrapper', async () => {
    const scope = api()
      .get('/v1/organizations')
      .reply(200, { data: [{ name: 'acme' }, { name: 'other' }, { id: 'no-name' }] })
    await expect(harness().client.listOrganizations()).resolves.toEqual(['acme', 'other'])
    expect(scope.isDone()).toBe(true)
  })

  test('ignores trailing slashes on the base URL', async () => {
    const scope = api().get('/v1/organizations').reply(200, organizations)
    await expect(harness({ baseUrl: `${BASE_URL}//` }).client.listOrganizations()).resolves.toEqual([ORG])
    expect(scope.isDone()).toBe(true)
  })

  test('a 200 without a list is an error, not an empty list', async () => {
    api().get('/v1/organizations').reply(200, {})
    const error = await failure(harness().client.listOrganizations())
    expect(error.message).toContain('had no organization list')
  })

  test('sends the configured User-Agent', async () => {
    const scope = nock(ORIGIN, { reqheaders: { 'user-agent': 'custom-agent/1.0' } })
      .get('/v1/organizations')
      .reply(200, organizations)
    await harness({ userAgent: 'custom-agent/1.0' }).client.listOrganizations()
    expect(scope.isDone()).toBe(true)
  })
})

describe('listTokens', () => {
  test('follows next_page across three pages, 100 per page', async () => {
    const scope = api()
      .get(TOKENS)
      .query({ page: '1', per_page: '100' })
      .reply(200, { current_page: 1, next_page: 2, data: [token('aaaaaaaaaaa1'), token('aaaaaaaaaaa2')] })
      .get(TOKENS)
      .query({ page: '2', per_page: '100' })
      .reply(200, { current_page: 2, next_page: 3, data: [token('aaaaaaaaaaa3')] })
      .get(TOKENS)
      .query({ page: '3', per_page: '100' })
      .reply(200, { current_page: 3, next_page: null, data: [token('aaaaaaaaaaa4', { expires_at: null, name: null })] })
    const tokens = await harness().client.listTokens()
    expect(tokens.map((t) => t.id)).toEqual(['aaaaaaaaaaa1', 'aaaaaaaaaaa2', 'aaaaaaaaaaa3', 'aaaaaaaaaaa4'])
    expect(tokens[3]).toMatchObject({ expires_at: null, name: null, created_at: '2026-11-22T06:00:00.000Z' })
    expect(scope.isDone()).toBe(true)
  })

  test('a missing expires_at reads as "does not expire"', async () => {
    const { expires_at: _gone, ...withoutExpiry } = token('aaaaaaaaaaa1')
    api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [withoutExpiry] })
    const [only] = await harness().client.listTokens()
    expect(only?.expires_at).toBeNull()
  })

  test('drops a secret that a list answer should never carry', async () => {
    api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [token('aaaaaaaaaaa1', { token: NEW_SECRET })] })
    const tokens = await harness().client.listTokens()
    expect(JSON.stringify(tokens)).not.toContain(NEW_SECRET)
    expect(tokens[0]).not.toHaveProperty('token')
  })

  test('a next_page that does not move forward stops with an error instead of looping', async () => {
    const scope = api().get(TOKENS).query(true).reply(200, { current_page: 1, next_page: 1, data: [] })
    const error = await failure(harness().client.listTokens())
    expect(error.message).toContain('invalid next page')
    expect(scope.isDone()).toBe(true)
  })

  test('a malformed token in a page is an error', async () => {
    api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [{ name: 'no id' }] })
    const error = await failure(harness().client.listTokens())
    expect(error.message).toContain('malformed token')
    expect(error.step).toBe('list tokens')
  })
})

describe('getToken', () => {
  test('GETs the token with its accesses', async () => {
    const access = {
      id: 'acc_1',
      access: 'read_branch',
      resource_name: 'app-db',
      resource_type: 'Database',
      resource: { id: 'db_123', name: 'app-db', deleted_at: null }
    }
    const scope = api()
      .get(`${TOKENS}/8x1k2abcd0ef`)
      .reply(200, token('8x1k2abcd0ef', { service_token_accesses: [access] }))
    const result = await harness().client.getToken('8x1k2abcd0ef')
    expect(result.id).toBe('8x1k2abcd0ef')
    expect(result.service_token_accesses).toEqual([access])
    expect(scope.isDone()).toBe(true)
  })

  test('encodes the organization and the token ID as path segments', async () => {
    const scope = api().get('/v1/organizations/a%20b%2Fc/service-tokens/x%3Fy%2Fz').reply(200, token('x?y/z'))
    await expect(harness({ organization: 'a b/c' }).client.getToken('x?y/z')).resolves.toMatchObject({ id: 'x?y/z' })
    expect(scope.isDone()).toBe(true)
  })

  test('an answer that is not a token is an error', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(200, '<html>ok</html>')
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('read token 8x1k2abcd0ef')
    expect(error.message).not.toContain('<html>')
  })
})

describe('createToken', () => {
  test('POSTs {name, ttl}, masks the secret before resolving, and returns the token with it', async () => {
    const scope = api('json')
      .post(TOKENS, { name: 'github-actions/acme/api', ttl: 7776000 })
      .reply(200, token('newtoken0001', { token: NEW_SECRET }))
    const masked: string[] = []
    let resolved = false
    let resolvedWhenMasked: boolean | undefined
    const { client } = harness({
      onSecret: (value) => {
        masked.push(value)
        resolvedWhenMasked = resolved
      }
    })
    const created = await client.createToken({ name: 'github-actions/acme/api', ttlSeconds: 7776000 }).then((t) => {
      resolved = true
      return t
    })
    expect(masked).toEqual([NEW_SECRET])
    expect(resolvedWhenMasked).toBe(false)
    expect(created).toMatchObject({ id: 'newtoken0001', token: NEW_SECRET, expires_at: '2027-02-20T06:00:00.000Z' })
    expect(scope.isDone()).toBe(true)
  })

  test('omits ttl when none is given', async () => {
    const scope = api('json')
      .post(TOKENS, { name: 'forever' })
      .reply(200, token('newtoken0001', { token: NEW_SECRET, expires_at: null }))
    const created = await harness().client.createToken({ name: 'forever' })
    expect(created.expires_at).toBeNull()
    expect(scope.isDone()).toBe(true)
  })

  test('sends an empty object when neither name nor ttl is given', async () => {
    const scope = api('json')
      .post(TOKENS, {})
      .reply(200, token('newtoken0001', { token: NEW_SECRET }))
    await harness().client.createToken({})
    expect(scope.isDone()).toBe(true)
  })

  test.each([
    ['absent', {}],
    ['null', { token: null }],
    ['empty', { token: '' }],
    ['not a string', { token: 42 }]
  ])('a 200 whose secret is %s is an error that warns of an orphan', async (_what, extra) => {
    api('json').post(TOKENS).reply(200, token('newtoken0001', extra))
    const h = harness()
    const error = await failure(h.client.createToken({ name: 'n1' }))
    expect(error.message).toContain('PlanetScale create token in organization "acme" failed: HTTP 200')
    expect(error.message).toContain('had no token secret')
    expect(error.message).toContain('delete any token named "n1"')
    expect(h.masked).toEqual([])
  })

  test('a secret without a token ID is masked, then reported as an error', async () => {
    api('json').post(TOKENS).reply(200, { token: NEW_SECRET, created_at: '2026-11-22T06:00:00.000Z' })
    const h = harness()
    const error = await failure(h.client.createToken({ name: 'n1' }))
    expect(h.masked).toEqual([NEW_SECRET])
    expect(error.message).toContain('was not a service token')
  })
})

describe('deleteToken', () => {
  test('204 is "deleted", without checking the credentials', async () => {
    const scope = api().delete(`${TOKENS}/oldtoken0001`).reply(204)
    await expect(harness().client.deleteToken('oldtoken0001')).resolves.toBe('deleted')
    expect(scope.isDone()).toBe(true)
  })

  test('404 is "already-deleted" once GET /organizations with the same credentials succeeds', async () => {
    const scope = api()
      .delete(`${TOKENS}/oldtoken0001`)
      .reply(404, { code: 'not_found', message: 'Not Found' })
      .get('/v1/organizations')
      .reply(200, organizations)
    await expect(harness().client.deleteToken('oldtoken0001')).resolves.toBe('already-deleted')
    expect(scope.isDone()).toBe(true)
  })

  test('404 is a credentials error when GET /organizations fails too', async () => {
    const scope = api()
      .delete(`${TOKENS}/oldtoken0001`)
      .reply(404, { code: 'not_found', message: 'Not Found' })
      .get('/v1/organizations')
      .reply(401, { code: 'unauthorized', message: 'Unauthorized' })
    const error = await failure(harness().client.deleteToken('oldtoken0001'))
    expect(error.step).toBe('delete token oldtoken0001')
    expect(error.status).toBe(404)
    expect(error.message).toContain('HTTP 401')
    expect(error.message).toContain('service-token-id and service-token')
    expect(scope.isDone()).toBe(true)
  })

  test('uses the credentials it was given (e.g. the new token deleting the old one)', async () => {
    const other = { id: 'newtoken0001', token: NEW_SECRET }
    const scope = nock(ORIGIN, { reqheaders: { authorization: `${other.id}:${other.token}` } })
      .delete(`${TOKENS}/${CREDENTIALS.id}`)
      .reply(204)
    await expect(harness({ credentials: other }).client.deleteToken(CREDENTIALS.id)).resolves.toBe('deleted')
    expect(scope.isDone()).toBe(true)
  })
})

describe('grantAccess', () => {
  test('POSTs {database, access} for a database', async () => {
    const scope = api('json')
      .post(`${TOKENS}/newtoken0001/access`, { database: 'app-db', access: ['read_branch', 'create_deploy_request'] })
      .reply(200, { data: [] })
    await expect(
      harness().client.grantAccess('newtoken0001', {
        database: 'app-db',
        access: ['read_branch', 'create_deploy_request']
      })
    ).resolves.toBeUndefined()
    expect(scope.isDone()).toBe(true)
  })

  test('sends database "" for organization accesses and accepts any 2xx with any body', async () => {
    const scope = api('json')
      .post(`${TOKENS}/newtoken0001/access`, { database: '', access: ['read_service_tokens'] })
      .reply(201, 'created')
    await harness().client.grantAccess('newtoken0001', { database: '', access: ['read_service_tokens'] })
    expect(scope.isDone()).toBe(true)
  })
})
