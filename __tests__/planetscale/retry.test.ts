// Retries, backoff, retry-after, timeouts, network errors, redirects, and the create that
// must not run twice.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { parseRetryAfter } from '../../src/planetscale/http.js'
import {
  api,
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
const ONE = `${TOKENS}/8x1k2abcd0ef`

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

describe('retries', () => {
  test('5xx is retried with exponential backoff and full jitter, then succeeds', async () => {
    const scope = api().get(ONE).reply(503).get(ONE).reply(500, 'oops').get(ONE).reply(200, token('8x1k2abcd0ef'))
    const h = harness({ random: () => 0.5 })
    await expect(h.client.getToken('8x1k2abcd0ef')).resolves.toMatchObject({ id: '8x1k2abcd0ef' })
    // Ceilings 1000 and 2000 ms, times the jitter 0.5.
    expect(h.sleeps).toEqual([500, 1000])
    expect(h.logs).toEqual([
      `PlanetScale GET ${ONE.replace('/v1', '')}: HTTP 503 (attempt 1 of 5), retrying in 500 ms`,
      `PlanetScale GET ${ONE.replace('/v1', '')}: HTTP 500 (attempt 2 of 5), retrying in 1000 ms`
    ])
    expect(scope.isDone()).toBe(true)
  })

  test('the backoff ceiling is capped by maxRetryDelayMs', async () => {
    api().get(ONE).times(4).reply(502)
    const h = harness({ random: () => 0.999, maxAttempts: 4, baseDelayMs: 1000, maxRetryDelayMs: 3000 })
    await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(h.sleeps).toEqual([999, 1998, 2997])
  })

  test('5xx exhausted: "unavailable after N attempts"', async () => {
    const scope = api().get(ONE).times(5).reply(502, { code: 'bad_gateway' })
    const h = harness()
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain(
      `PlanetScale read token 8x1k2abcd0ef in organization "${ORG}" failed: HTTP 502 (bad_gateway).`
    )
    expect(error.message).toContain('PlanetScale is unavailable after 5 attempts: try again later.')
    expect(error).toMatchObject({ status: 502, code: 'bad_gateway' })
    expect(h.sleeps).toHaveLength(4)
    expect(scope.isDone()).toBe(true)
  })

  test('429 honours retry-after in seconds', async () => {
    const scope = api().get(ONE).reply(429, {}, { 'Retry-After': '7' }).get(ONE).reply(200, token('8x1k2abcd0ef'))
    const h = harness()
    await h.client.getToken('8x1k2abcd0ef')
    expect(h.sleeps).toEqual([7000])
    expect(scope.isDone()).toBe(true)
  })

  test('503 honours retry-after as an HTTP date', async () => {
    const now = Date.parse('2026-11-22T06:00:00Z')
    api()
      .get(ONE)
      .reply(503, '', { 'Retry-After': 'Sun, 22 Nov 2026 06:00:04 GMT' })
      .get(ONE)
      .reply(200, token('8x1k2abcd0ef'))
    const h = harness({ now: () => now })
    await h.client.getToken('8x1k2abcd0ef')
    expect(h.sleeps).toEqual([4000])
  })

  test('a retry-after beyond the per-wait cap waits the cap', async () => {
    api().get(ONE).reply(429, {}, { 'Retry-After': '120' }).get(ONE).reply(200, token('8x1k2abcd0ef'))
    const h = harness({ maxRetryDelayMs: 30_000 })
    await h.client.getToken('8x1k2abcd0ef')
    expect(h.sleeps).toEqual([30_000])
  })

  test('429 exhausted: "rate limited after N attempts"', async () => {
    api().get(TOKENS).query(true).times(3).reply(429, { code: 'rate_limited' }, { 'Retry-After': '1' })
    const h = harness({ maxAttempts: 3 })
    const error = await failure(h.client.listTokens())
    expect(error.message).toContain('Rate limited by PlanetScale after 3 attempts: try again later.')
    expect(error.status).toBe(429)
    expect(h.sleeps).toEqual([1000, 1000])
  })

  test('the total wait is bounded: gives up before exceeding maxTotalDelayMs', async () => {
    const scope = api().get(ONE).times(2).reply(429, {}, { 'Retry-After': '20' })
    const pending = api().get(ONE).reply(200, token('8x1k2abcd0ef'))
    const h = harness({ maxTotalDelayMs: 30_000 })
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(h.sleeps).toEqual([20_000])
    expect(error.message).toContain('after 2 attempts')
    expect(h.logs.at(-1)).toContain('not retrying')
    expect(scope.isDone()).toBe(true)
    expect(pending.isDone()).toBe(false)
  })

  test.each([400, 401, 403, 404, 422])('%i is never retried', async (status) => {
    const scope = api().get('/v1/organizations').reply(status, {})
    const h = harness()
    const error = await failure(h.client.listOrganizations())
    expect(error.status).toBe(status)
    expect(h.sleeps).toEqual([])
    expect(scope.isDone()).toBe(true)
  })

  test('a network error is retried, then succeeds', async () => {
    const scope = api()
      .get('/v1/organizations')
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .get('/v1/organizations')
      .reply(200, organizations)
    const h = harness()
    await expect(h.client.listOrganizations()).resolves.toEqual([ORG])
    expect(h.sleeps).toEqual([500])
    expect(h.logs[0]).toContain('network error ECONNRESET (attempt 1 of 5)')
    expect(scope.isDone()).toBe(true)
  })

  test('network errors exhausted: no status, "did not answer"', async () => {
    api().get(ONE).times(3).replyWithError('connect ECONNREFUSED')
    const h = harness({ maxAttempts: 3 })
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.status).toBeUndefined()
    expect(error.message).toContain('failed: network error (3 attempts). PlanetScale did not answer')
    // The error's own text is not quoted: it could hold anything.
    expect(error.message).not.toContain('ECONNREFUSED')
  })

  test('a timeout is retried like a network error', async () => {
    const scope = api()
      .get(ONE)
      .delay(1_000)
      .reply(200, token('8x1k2abcd0ef'))
      .get(ONE)
      .reply(200, token('8x1k2abcd0ef'))
    const h = harness({ timeoutMs: 50 })
    await expect(h.client.getToken('8x1k2abcd0ef')).resolves.toMatchObject({ id: '8x1k2abcd0ef' })
    expect(h.logs[0]).toContain('no answer within 50 ms (attempt 1 of 5)')
    expect(scope.isDone()).toBe(true)
  })

  test('timeouts exhausted name the timeout', async () => {
    api().get(ONE).times(2).delay(1_000).reply(200, token('8x1k2abcd0ef'))
    const h = harness({ timeoutMs: 30, maxAttempts: 2 })
    const error = await failure(h.client.getToken('8x1k2abcd0ef'))
    expect(error.message).toContain('failed: no answer within 30 ms (2 attempts)')
    expect(error.status).toBeUndefined()
  })

  test('deletes and grants are retried after a network error (both are idempotent)', async () => {
    const scope = api().delete(ONE).replyWithError({ code: 'ECONNRESET' }).delete(ONE).reply(204)
    api('json')
      .post(`${ONE}/access`)
      .replyWithError({ code: 'ETIMEDOUT' })
      .post(`${ONE}/access`, { database: 'db', access: ['read_branch'] })
      .reply(200, {})
    const h = harness()
    await expect(h.client.deleteToken('8x1k2abcd0ef')).resolves.toBe('deleted')
    await h.client.grantAccess('8x1k2abcd0ef', { database: 'db', access: ['read_branch'] })
    expect(h.sleeps).toEqual([500, 500])
    expect(scope.isDone()).toBe(true)
    expect(nock.isDone()).toBe(true)
  })
})

describe('create is never sent twice when it may have taken effect', () => {
  const created = token('newtoken0001', { token: NEW_SECRET })

  test.each([
    [
      'a network error',
      (scope: nock.Interceptor) => scope.replyWithError({ code: 'ECONNRESET' }),
      'network error ECONNRESET'
    ],
    ['a timeout', (scope: nock.Interceptor) => scope.delay(1_000).reply(200, created), 'no answer within 50 ms'],
    ['a 500', (scope: nock.Interceptor) => scope.reply(500), 'HTTP 500'],
    ['a 504', (scope: nock.Interceptor) => scope.reply(504), 'HTTP 504']
  ])('after %s: one attempt, and an error that warns of an orphan', async (_what, answer, reason) => {
    answer(api('json').post(TOKENS))
    const second = api('json').post(TOKENS).reply(200, created)
    const h = harness({ timeoutMs: 50 })
    const error = await failure(h.client.createToken({ name: 'github-actions/acme/api' }))
    expect(error.message).toContain(`PlanetScale create token in organization "${ORG}" failed: ${reason}`)
    expect(error.message).toContain('1 attempt')
    expect(error.message).toContain('The token may have been created anyway')
    expect(error.message).toContain('command: list, and delete any token named "github-actions/acme/api"')
    expect(second.isDone()).toBe(false)
    expect(h.sleeps).toEqual([])
    expect(h.masked).toEqual([])
  })

  test.each([429, 503])('a %i (nothing was done) is retried', async (status) => {
    const scope = api('json')
      .post(TOKENS, { name: 'n1', ttl: 60 })
      .reply(status, {}, { 'Retry-After': '2' })
      .post(TOKENS, { name: 'n1', ttl: 60 })
      .reply(200, created)
    const h = harness()
    await expect(h.client.createToken({ name: 'n1', ttlSeconds: 60 })).resolves.toMatchObject({ token: NEW_SECRET })
    expect(h.sleeps).toEqual([2000])
    expect(h.masked).toEqual([NEW_SECRET])
    expect(scope.isDone()).toBe(true)
  })

  test('503 exhausted on create is "unavailable", without the orphan warning', async () => {
    api('json').post(TOKENS).times(2).reply(503)
    const error = await failure(harness({ maxAttempts: 2 }).client.createToken({ name: 'n1' }))
    expect(error.message).toContain('PlanetScale is unavailable after 2 attempts')
    expect(error.message).not.toContain('may have been created')
  })
})

describe('redirects', () => {
  test('a 3xx is an error and the Location is never requested', async () => {
    const scope = api().get('/v1/organizations').reply(302, '', { Location: 'https://elsewhere.test/v1/organizations' })
    const elsewhere = nock('https://elsewhere.test').get('/v1/organizations').reply(200, organizations)
    const h = harness()
    const error = await failure(h.client.listOrganizations())
    expect(error.status).toBe(302)
    expect(error.message).toContain('HTTP 302')
    expect(error.message).toContain('does not follow')
    // The error names where the redirect pointed, so the user can see what answered.
    expect(error.message).toContain('redirect to https://elsewhere.test/v1/organizations')
    expect(h.sleeps).toEqual([])
    expect(scope.isDone()).toBe(true)
    expect(elsewhere.isDone()).toBe(false)
  })

  test('a 307 on the same origin is not followed either, and its token-shaped Location is redacted', async () => {
    const scope = api()
      .get('/v1/organizations')
      .reply(307, '', { Location: `${ORIGIN}/v1/organizations?leak=pscale_tkn_${'x'.repeat(30)}` })
    const again = api().get('/v1/organizations').query(true).reply(200, organizations)
    const error = await failure(harness().client.listOrganizations())
    expect(error.status).toBe(307)
    expect(error.message).toContain('redirect to')
    expect(error.message).not.toContain('pscale_tkn_x')
    expect(scope.isDone()).toBe(true)
    expect(again.isDone()).toBe(false)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T06:00:00Z')
  test.each([
    [null, undefined],
    ['0', 0],
    [' 3 ', 3000],
    ['Sun, 22 Nov 2026 06:00:10 GMT', 10_000],
    ['Sun, 22 Nov 2026 05:59:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    ['1.5', undefined]
  ])('%p → %p ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected)
  })
})

test('requests go to the configured origin only', async () => {
  const scope = nock(ORIGIN).get('/v1/organizations').reply(200, organizations)
  await harness().client.listOrganizations()
  expect(scope.isDone()).toBe(true)
})
