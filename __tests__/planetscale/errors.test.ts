// What the user reads when PlanetScale says no: step, organization, status, code and advice.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { GrantRefusedError } from '../../src/errors.js'
import { readErrorBody } from '../../src/planetscale/errors.js'
import { REDACTED } from '../../src/redact.js'
import {
  api,
  CREDENTIALS,
  expectNoSecretLogged,
  failure,
  harness,
  ORG,
  organizations,
  token,
  type Harness
} from './helpers.js'

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
      h.client.grantAccess('8x1k2abcd0ef', { database: 'app-db', access: ['read_branch', 'connect_branch'] }),
    grant: true
  },
  {
    step: 'grant organization accesses',
    needs: ['write_service_tokens', 'read_service_tokens'],
    intercept: (status: number, body?: unknown) =>
      api('json')
        .post(`${TOKENS}/8x1k2abcd0ef/access`)
        .reply(status, body as object),
    run: (h: Harness) => h.client.grantAccess('8x1k2abcd0ef', { database: '', access: ['read_service_tokens'] }),
    grant: true
  }
]

// A grant's 401, 403 and 404 have a meaning of their own (see 'grant refused' below).
describe.each(steps.filter((s) => !s.grant))('$step', ({ step, needs, intercept, run }) => {
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
})

describe.each(steps)('$step', ({ step, intercept, run }) => {
  test('404 when GET /organizations fails too: the credentials are the problem', async () => {
    intercept(404, { code: 'not_found', message: 'Not Found' })
    const scope = api().get('/v1/organizations').reply(404, { code: 'not_found', message: 'Not Found' })
    const error = await failure(run(harness()))
    expect(error.message).toContain('Listing organizations with the same credentials failed too (HTTP 404)')
    expect(error.message).toContain('Check both service-token-id and service-token')
    expect(error).toMatchObject({ step, status: 404 })
    expect(error).not.toBeInstanceOf(GrantRefusedError)
    expect(scope.isDone()).toBe(true)
  })
})

describe.each(steps.filter((s) => s.grant))('grant refused: $step', ({ step, needs, intercept, run }) => {
  test.each([
    [401, 'unauthorized', 'Unauthorized'],
    [403, 'forbidden', 'Forbidden'],
    [404, 'not_found', 'Not Found']
  ])(
    '%i while the same credentials list organizations: PlanetScale refused the grant; not retried',
    async (status, code, message) => {
      const scope = intercept(status, { code, message })
      const probe = api().get('/v1/organizations').reply(200, organizations)
      const h = harness()
      const error = await failure(run(h))
      expect(error).toBeInstanceOf(GrantRefusedError)
      expect(error).toMatchObject({ step, status, code })
      expect(error.message).toContain(
        `PlanetScale ${step} in organization "${ORG}" failed: HTTP ${status} (${code}: "${message}").`
      )
      expect(error.message).toContain(
        'PlanetScale refused to let a service token grant accesses, although the same credentials work:'
      )
      expect(error.message).toContain("not in PlanetScale's published API reference")
      expect(error.message).toContain(`(Other causes: the token lacks one of ${needs.join(', ')}`)
      expect(error.message).toContain('Grant the accesses in the PlanetScale dashboard')
      expect(error.message).toContain('or rotate from a token that PlanetScale lets grant them')
      expect(h.sleeps).toEqual([])
      expect(scope.isDone()).toBe(true)
      expect(probe.isDone()).toBe(true)
    }
  )

  test('401 when GET /organizations fails too: the credentials, not the endpoint', async () => {
    intercept(401, { code: 'unauthorized', message: 'Unauthorized' })
    api().get('/v1/organizations').reply(401, { code: 'unauthorized' })
    const error = await failure(run(harness()))
    expect(error).not.toBeInstanceOf(GrantRefusedError)
    expect(error.message).toContain('Listing organizations with the same credentials failed too (HTTP 401)')
    expect(error.message).toContain('Check both service-token-id and service-token')
    expect(error.message).not.toContain('refused to let a service token grant')
  })

  test('a 500 is no refusal: retried, then "unavailable", without a credentials check', async () => {
    const scope = intercept(500)
    scope
      .post(/\/access$/)
      .times(4)
      .reply(500)
    const error = await failure(run(harness()))
    expect(error).not.toBeInstanceOf(GrantRefusedError)
    expect(error.message).toContain('PlanetScale is unavailable after 5 attempts')
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
    expect(error.message).toContain('; or database "app-db" or token "8x1k2abcd0ef" was not found.)')
    expect(error.code).toBeUndefined()
  })

  test('a grant whose organization the credentials cannot see: check organization, no talk of refusal', async () => {
    api('json').post(`${TOKENS}/8x1k2abcd0ef/access`).reply(403, { code: 'forbidden' })
    api()
      .get('/v1/organizations')
      .reply(200, { data: [{ name: 'elsewhere' }] })
    const error = await failure(
      harness().client.grantAccess('8x1k2abcd0ef', { database: 'app-db', access: ['read_branch'] })
    )
    expect(error).not.toBeInstanceOf(GrantRefusedError)
    expect(error.message).toContain('organization "acme" is not among those they can see')
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

  test('organization names from the answer are API text: one line, token shapes redacted', async () => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(404, { code: 'not_found' })
    api()
      .get('/v1/organizations')
      .reply(200, { data: [{ name: 'x\n::warning::y' }, { name: 'a3f09c1e5b7d2468ace13579bdf02468ace13579' }] })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain(`they can see ("x ::warning::y", "${REDACTED}")`)
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
  test('on create, points at ttl; never retried (a create must not run twice)', async () => {
    const scope = api('json').post(TOKENS).reply(422, { code: 'unprocessable', message: 'ttl is out of range' })
    const again = api('json').post(TOKENS).reply(200, {})
    const h = harness()
    const error = await failure(h.client.createToken({ name: 'n1', ttlSeconds: 1 }))
    expect(error.message).toContain('HTTP 422 (unprocessable: "ttl is out of range")')
    expect(error.message).toContain('check ttl')
    expect(error).toMatchObject({ status: 422, code: 'unprocessable' })
    expect(h.sleeps).toEqual([])
    expect(scope.isDone()).toBe(true)
    expect(again.isDone()).toBe(false)
  })

  test('`unprocessable` on a read is retried once (planetscale-go reads it as "retry"), then succeeds', async () => {
    const scope = api()
      .get(`${TOKENS}/8x1k2abcd0ef`)
      .reply(422, { code: 'unprocessable' })
      .get(`${TOKENS}/8x1k2abcd0ef`)
      .reply(200, token('8x1k2abcd0ef'))
    const h = harness()
    await expect(h.client.getToken('8x1k2abcd0ef')).resolves.toMatchObject({ id: '8x1k2abcd0ef' })
    expect(h.sleeps).toEqual([500])
    expect(scope.isDone()).toBe(true)
  })

  test('`unprocessable` twice: no third try', async () => {
    const scope = api().get(`${TOKENS}/8x1k2abcd0ef`).times(2).reply(422, { code: 'unprocessable' })
    const third = api().get(`${TOKENS}/8x1k2abcd0ef`).reply(200, token('8x1k2abcd0ef'))
    const h = harness()
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.status).toBe(422)
    expect(h.sleeps).toHaveLength(1)
    expect(scope.isDone()).toBe(true)
    expect(third.isDone()).toBe(false)
  })

  test.each([{}, { code: 'invalid_params' }, 'not json'])(
    'a 422 with another body (%p) is not retried',
    async (body) => {
      const scope = api().get(`${TOKENS}/8x1k2abcd0ef`).reply(422, body)
      const h = harness()
      await failure(h.client.getToken('8x1k2abcd0ef'))
      expect(h.sleeps).toEqual([])
      expect(scope.isDone()).toBe(true)
    }
  )

  test('on grant, points at the access names (after the one retry a 422 `unprocessable` gets)', async () => {
    const scope = api('json').post(`${TOKENS}/8x1k2abcd0ef/access`).times(2).reply(422, { code: 'unprocessable' })
    const h = harness()
    const error = await failure(h.client.grantAccess('8x1k2abcd0ef', { database: 'db', access: ['read_brnch'] }))
    expect(error.message).toContain('check the access names (read_brnch)')
    expect(h.sleeps).toHaveLength(1)
    expect(scope.isDone()).toBe(true)
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
    expect(quoted.length).toBeGreaterThan(190)
    expect(quoted.length).toBeLessThanOrEqual(201)
    expect(quoted).toMatch(/ x x…$/)
  })

  test('the cap never cuts a word: no head of a secret is left for redaction by value to miss', async () => {
    // 17 characters: too short for the opaque-run rule, so only redaction by value at the sink catches it.
    const secret = 'Zq8shortSecret17c'
    const message = `${'w '.repeat(95)}${secret} tail`
    expect(message.indexOf(secret)).toBeLessThan(200)
    expect(message.indexOf(secret) + secret.length).toBeGreaterThan(200)
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(403, { code: 'forbidden', message })
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).not.toContain(secret.slice(0, 4))
    expect(error.message).toContain('w w…')
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

describe('the second error shape, {"errors": [{"namespace", "name", "errors"}]}', () => {
  test('its names are shown, its values never', async () => {
    api('json')
      .post(TOKENS)
      .reply(422, {
        errors: [
          { namespace: 'service_token', name: 'ttl', errors: ['must be at most 315360000'] },
          { namespace: 'service_token', name: 'name', errors: ['is too long'] }
        ]
      })
    const error = await failure(harness().client.createToken({ name: 'n1', ttlSeconds: 60 }))
    expect(error.message).toContain('failed: HTTP 422 (errors in service_token.ttl, service_token.name).')
    expect(error.message).toContain('check ttl')
    expect(error.message).not.toContain('315360000')
    expect(error.message).not.toContain('too long')
  })

  test('with code and message: all three, nested names joined to their parent', () => {
    expect(
      readErrorBody({
        code: 'unprocessable',
        message: 'Validation failed',
        errors: [{ namespace: 'grant', name: 'access', errors: ['is unknown', { name: 'read_brnch', errors: ['?'] }] }]
      })
    ).toEqual({
      code: 'unprocessable',
      message: 'Validation failed',
      names: ['grant.access', 'grant.access.read_brnch']
    })
  })

  test('at most five names; names that are not plain identifiers are left out', () => {
    const errors = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, errors: ['x'] }))
    expect(readErrorBody({ errors }).names).toEqual(['a', 'b', 'c', 'd', 'e', '…'])
    expect(readErrorBody({ errors: [{ name: 'has space\n::error::x' }, 'ttl', null, { name: 'ok' }] })).toEqual({
      names: ['ok']
    })
  })
})

describe('an error body that echoes a secret in every field', () => {
  /** Secrets with and without a known prefix (planetscale-go's fixtures use 40 hex digits). */
  const ECHOED = [
    ['a pscale_tkn_ secret (the credentials sent)', CREDENTIALS.token],
    ['40 hex digits, no prefix', 'a3f09c1e5b7d2468ace13579bdf02468ace13579']
  ] as const

  const echo = (secret: string) => ({
    code: secret,
    message: `Invalid service token ${secret}`,
    errors: [
      {
        namespace: secret,
        name: secret,
        errors: [secret, { namespace: 'nested', name: secret, errors: [secret] }]
      }
    ]
  })

  test.each(ECHOED)('%s: redacted in the code, the message and every name', async (_what, secret) => {
    api().get(`${TOKENS}/8x1k2abcd0ef`).reply(401, echo(secret))
    const error = await failure(harness().client.getToken('8x1k2abcd0ef'))
    expect(error.message).not.toContain(secret)
    expect(error.message).not.toContain(secret.slice(0, 16))
    expect(error.code).toBe(REDACTED)
    expect(error.message).toContain(
      `failed: HTTP 401 (${REDACTED}: "Invalid service token ${REDACTED}"; errors in ${REDACTED}.${REDACTED}, ${REDACTED}.${REDACTED}.nested.${REDACTED}).`
    )
    expect(error.message).toContain('Check both service-token-id and service-token')
  })

  test.each(ECHOED)('%s: readErrorBody keeps it nowhere', (_what, secret) => {
    expect(JSON.stringify(readErrorBody(echo(secret)))).not.toContain(secret)
  })
})
