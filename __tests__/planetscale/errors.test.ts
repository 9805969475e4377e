// What the user reads when PlanetScale says no: step, organization, status, code and advice.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { api, expectNoSecretLogged, failure, harness, ORG, organizations, type Harness } from './helpers.js'

const TOKENS = `/v1/organizations/${ORG}/service-tokens`

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

/** Each method with the request it sends, so a status can be answered to any of them. */
const steps = [
  {
    step: 'list tokens',
    needs: ['read_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api()
        .get(TOKENS)
        .query(true)
        .reply(status, body as object),
    run: (h: Harness) => h.client.listTokens()
  },
  {
    step: 'read token 8x1k2abcd0ef',
    needs: ['read_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api()
        .get(`${TOKENS}/8x1k2abcd0ef`)
        .reply(status, body as object),
    run: (h: Harness) => h.client.getToken('8x1k2abcd0ef')
  },
  {
    step: 'create token',
    needs: ['write_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api('json')
        .post(TOKENS)
        .reply(status, body as object),
    run: (h: Harness) => h.client.createToken({ name: 'n1', ttlSeconds: 60 })
  },
  {
    step: 'delete token 8x1k2abcd0ef',
    needs: ['delete_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api()
        .delete(`${TOKENS}/8x1k2abcd0ef`)
        .reply(status, body as object),
    run: (h: Harness) => h.client.deleteToken('8x1k2abcd0ef')
  },
  {
    step: 'grant accesses on database "app-db"',
    needs: ['write_service_tokens', 'read_branch', 'connect_branch'],
    intercept: (status: number, body?: unknown) =>
      api('json')
        .post(`${TOKENS}/8x1k2abcd0ef/access`)
        .reply(status, body as object),
    run: (h: Harness) =>
      h.client.grantAccess('8x1k2abcd0ef', { database: 'app-db', access: ['read_branch', 'connect_branch'] })
  },
  {
    step: 'grant organization accesses',
    needs: ['write_service_tokens', 'read_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api('json')
        .post(`${TOKENS}/8x1k2abcd0ef/access`)
        .reply(status, body as object),
    run: (h: Harness) => h.client.grantAccess('8x1k2abcd0ef', { database: '', access: ['read_service_tokens'] })
  }
]

describe.each(steps)('$step', ({ step, needs, intercept, run }) => {
  test('401 names the step, organization, status and code, and says to check both inputs; not retried', async () => {
    const scope = intercept(401, { code: 'unauthorized', message: 'Unauthorized' })
    const h = harness()
    const error = await failure(run(h))
    expect(error.message).toContain(
      `PlanetScale ${step} in organization "${ORG}" failed: HTTP 401 (unauthorized: "Unauthorized").`
    )
    expect(error.message).toContain('Check both service-token-id and service-token')
    expect(error.message).toContain('has not expired')
    expect(error).toMatchObject({ step, status: 401, code: 'unauthorized' })
    expect(h.sleeps).toEqual([])
    expect(scope.isDone()).toBe(true)
  })

  test('403 names every access the step needs', async () => {
    intercept(403, { code: 'forbidden', message: 'Forbidden' })
    const error = await failure(run(harness()))
    expect(error.message).toContain(`lacks an access this step needs: ${needs.join(', ')}.`)
    expect(error).toMatchObject({ step, status: 403, code: 'forbidden' })
  })

  test('404 with working credentials: not found, or the token lacks the access', async () => {
    intercept(404, { code: 'not_found', message: 'Not Found' })
    const scope = api().get('/v1/organizations').reply(200, organizations)
    const h = harness()
    const failed = run(h)
    if (step.startsWith('delete')) {
      // For a delete, that is the token being gone already.
      await expect(failed).resolves.toBe('already-deleted')
    } else {
      const error = await failure(failed)
      expect(error.message).toContain('was not found')
      expect(error.message).toContain(`or the service token lacks ${needs.join(', ')}`)
      expect(error).toMatchObject({ step, status: 404, code: 'not_found' })
    }
    expect(scope.isDone()).toBe(true)
  })

  test('404 when GET /organizations fails too: the credentials are the problem', async () => {
    intercept(404, { code: 'not_found', message: 'Not Found' })
    const scope = api().get('/v1/organizations').reply(404, { code: 'not_found', message: 'Not Found' })
    const error = await failure(run(harness()))
    expect(error.message).toContain('Listing organizations with the same credentials failed too (HTTP 404)')
    expect(error.message).toContain('Check both service-token-id and service-token')
    expect(error).toMatchObject({ step, status: 404 })
    expect(scope.isDone()).toBe(true)
  })
})

describe('404 disambiguation', () => {
  test('names the database and the token for a grant', async () => {
    api('json').post(`${TOKENS}/8x1k2abcd0ef/access`).reply(404, {})
    api().get('/v1/organizations').reply(200, organizations)
    const error = await failure(
      harness().client.grantAccess('8x1k2abcd0ef', { database: 'app-db', access: ['read_branch'] })
    )
    expect(error.message).toContain('Either database "app-db" or token "8x1k2abcd0ef" was not found')
    expect(error.code).toBeUndefined()
  })

  test('says when the organization is not among those the credentials see', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(404, { code: 'not_found' })
    api()
      .get('/v1/organizations')
      .reply(200, { data: [{ name: 'elsewhere' }] })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain(
      'organization "acme" is not among those they can see ("elsewhere"): check organization'
    )
  })

  test('says the cause could not be checked when GET /organizations is unavailable', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(404, { code: 'not_found' })
    api().get('/v1/organizations').times(2).reply(503)
    const h = harness({ maxAttempts: 2 })
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('could not be checked (listing organizations failed: HTTP 503)')
    expect(error.status).toBe(404)
  })

  test('a 404 on GET /organizations itself means bad credentials, with no second call', async () => {
    const scope = api().get('/v1/organizations').reply(404, { code: 'not_found', message: 'Not Found' })
    const error = await failure(harness().client.listOrganizations())
    expect(error.message).toContain('PlanetScale list organizations in organization "acme" failed: HTTP 404')
    expect(error.message).toContain('Check both service-token-id and service-token')
    expect(scope.isDone()).toBe(true)
  })
})

describe('422', () => {
  test('on create, points at ttl', async () => {
    api('json').post(TOKENS).reply(422, { code: 'unprocessable', message: 'ttl is out of range' })
    const error = await failure(harness().client.createToken({ name: 'n1', ttlSeconds: 1 }))
    expect(error.message).toContain('HTTP 422 (unprocessable: "ttl is out of range")')
    expect(error.message).toContain('check ttl')
    expect(error).toMatchObject({ status: 422, code: 'unprocessable' })
  })

  test('on grant, points at the access names', async () => {
    api('json').post(`${TOKENS}/8x1k2abcd0ef/access`).reply(422, { code: 'unprocessable' })
    const error = await failure(
      harness().client.grantAccess('8x1k2abcd0ef', { database: 'db', access: ['read_brnch'] })
    )
    expect(error.message).toContain('check the access names (read_brnch)')
  })
})

describe('error bodies', () => {
  test('a non-JSON body is tolerated and never quoted', async () => {
    api()
      .get(`${TOKENS}/8x1k2abcd0ef`)
      .reply(403, '<html><body>Forbidden by edge</body></html>', { 'Content-Type': 'text/html' })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('failed: HTTP 403. The service token lacks')
    expect(error.message).not.toContain('edge')
    expect(error.code).toBeUndefined()
  })

  test('other JSON is tolerated and only code and message are used', async () => {
    api()
      .get(`${TOKENS}/8x1k2abcd0ef`)
      .reply(403, { code: 'forbidden', message: 'No', detail: 'internal-detail', token: 'pscale_tkn_LEAKED' })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('HTTP 403 (forbidden: "No")')
    expect(error.message).not.toContain('internal-detail')
  })

  test('a JSON array body is tolerated', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(403, ['forbidden'])
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('failed: HTTP 403.')
  })

  test('the message field is one line, capped at 200 characters, and any secret in it is redacted', async () => {
    const opaque = 'Q9x'.repeat(12)
    const long = `first line\n::warning::second pscale_tkn_ECHOED ${opaque} ${'x '.repeat(150)}`
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(403, { code: 'forbidden', message: long })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).not.toContain('\n')
    expect(error.message).toContain('first line ::warning::second [redacted] [redacted] x x')
    expect(error.message).not.toContain(opaque)
    const quoted = /\(forbidden: "([^"]*)"\)/.exec(error.message)?.[1] ?? ''
    expect(quoted.length).toBe(201)
    expect(quoted.endsWith('…')).toBe(true)
  })

  test('a code that is not a plain identifier is left out', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(403, { code: 'bad code with spaces' })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.code).toBeUndefined()
    expect(error.message).not.toContain('bad code')
  })

  test('an unexpected 4xx names the status without retrying', async () => {
    const scope = api().get(`${TOKENS}/8x1k2abcd0ef`).reply(409, { code: 'conflict' })
    const h = harness()
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('HTTP 409 (conflict). PlanetScale rejected the request.')
    expect(h.sleeps).toEqual([])
    expect(scope.isDone()).toBe(true)
  })
})
