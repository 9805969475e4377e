// The Octokit plugins really applied: rate limits waited on within the budget (and the wait
// reported, so the write pacer holds back the other writes), 5xx retried, writes not spaced a
// second time by the plugin, and a cancelled write stops waiting.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { rateLimitHandlers } from '../../src/github/rate-limit.js'
import { expectNothingSecret, github, harness, keyPair, recordingLogger, repoTarget, scopePaths } from './helpers.js'

const VALUE = 'pscale_tkn_throttleTestValue'
const KEY_PATH = `${scopePaths.repo}/secrets/public-key`
const PUT_PATH = `${scopePaths.repo}/secrets/A`
const PUT_ROUTE = 'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}'
const SECONDARY = {
  message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

/** A prepared repo target whose PUTs the caller mocks. */
async function preparedRepo(options: Parameters<typeof harness>[0] = {}) {
  const pair = await keyPair()
  github().get(KEY_PATH).reply(200, pair.body)
  const h = harness(options)
  return { ...h, target: await h.secrets.prepare(repoTarget, ['A']) }
}

const epochSeconds = () => Math.floor(Date.now() / 1000)

describe('rate limits', () => {
  test('secondary limit (403 + retry-after): waits as asked, retries, succeeds, and reports the wait', async () => {
    const waits: number[] = []
    const { target, log } = await preparedRepo({ onRateLimitWait: (ms) => waits.push(ms) })
    const api = github().put(PUT_PATH).reply(403, SECONDARY, { 'retry-after': '1' }).put(PUT_PATH).reply(204)
    const started = Date.now()
    await expect(target.writeSecret('A', VALUE)).resolves.toBe('updated')
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(api.isDone()).toBe(true)
    expect(log.lines).toContain(`warning: GitHub secondary rate limit on ${PUT_ROUTE}: waiting 1s, then retry 1 of 3`)
    expect(waits).toEqual([1000])
    expectNothingSecret(log.lines.join('\n'), VALUE)
  })

  test('a bare 429 with retry-after is treated as a secondary limit', async () => {
    const { target, log } = await preparedRepo()
    const api = github()
      .put(PUT_PATH)
      .reply(429, { message: 'Too Many Requests' }, { 'retry-after': '1' })
      .put(PUT_PATH)
      .reply(201, {})
    await expect(target.writeSecret('A', VALUE)).resolves.toBe('created')
    expect(api.isDone()).toBe(true)
    expect(log.lines).toContain(`warning: GitHub secondary rate limit on ${PUT_ROUTE}: waiting 1s, then retry 1 of 3`)
  })

  test('primary limit (x-ratelimit-remaining: 0) already reset: retried at once', async () => {
    const { target, log } = await preparedRepo()
    const api = github()
      .put(PUT_PATH)
      .reply(
        403,
        { message: 'API rate limit exceeded for installation ID 1.' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(epochSeconds() - 60) }
      )
      .put(PUT_PATH)
      .reply(204)
    await expect(target.writeSecret('A', VALUE)).resolves.toBe('updated')
    expect(api.isDone()).toBe(true)
    expect(log.lines).toContain(`warning: GitHub primary rate limit on ${PUT_ROUTE}: waiting 0s, then retry 1 of 3`)
  })

  test('primary limit resetting in an hour: gives up at once and says when it resets', async () => {
    const { target, log } = await preparedRepo()
    const reset = epochSeconds() + 3600
    github()
      .put(PUT_PATH)
      .reply(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
      )
    await expect(target.writeSecret('A', VALUE)).rejects.toMatchObject({
      name: 'GitHubTargetError',
      status: 403,
      step: 'write secret A',
      message: expect.stringContaining(
        `GitHub rate limit: the rate limit resets at ${new Date(reset * 1000).toISOString()}, more than the action waits for`
      )
    })
    expect(
      log.lines.some((l) => l.startsWith(`warning: GitHub primary rate limit on ${PUT_ROUTE}: asked to wait`))
    ).toBe(true)
    expect(log.lines.some((l) => l.includes('giving up'))).toBe(true)
  })

  test('secondary limit asking for 10 minutes: gives up at once with the wait', async () => {
    const { target } = await preparedRepo()
    github().put(PUT_PATH).reply(403, SECONDARY, { 'retry-after': '600' })
    await expect(target.writeSecret('A', VALUE)).rejects.toThrow(
      /^repo:acme\/api: write secret A failed \(HTTP 403 "You have exceeded a secondary rate limit.*"\)\. GitHub rate limit: GitHub asked to wait 600s/
    )
  })
})

describe('rateLimitHandlers: the waiting budget', () => {
  const request = () => ({ method: 'PUT', url: '/repos/{owner}/{repo}/actions/secrets/{secret_name}', request: {} })
  type Options = Parameters<ReturnType<typeof rateLimitHandlers>['onRateLimit']>[1]

  test('counts retries per request', () => {
    const { onSecondaryRateLimit } = rateLimitHandlers({ maxRetries: 2, maxWaitSeconds: 120 }, recordingLogger())
    const options = request() as unknown as Options
    expect(onSecondaryRateLimit(1, options, undefined, 0)).toBe(true)
    expect(onSecondaryRateLimit(1, options, undefined, 1)).toBe(true)
    expect(onSecondaryRateLimit(1, options, undefined, 2)).toBe(false)
  })

  test('adds up the waits of one request, not of different requests', () => {
    const log = recordingLogger()
    const { onRateLimit, onSecondaryRateLimit } = rateLimitHandlers({ maxRetries: 10, maxWaitSeconds: 120 }, log)
    const first = request() as unknown as Options
    expect(onSecondaryRateLimit(60, first, undefined, 0)).toBe(true)
    expect(onRateLimit(60, first, undefined, 1)).toBe(true)
    expect(onSecondaryRateLimit(1, first, undefined, 2)).toBe(false)
    const second = request() as unknown as Options
    expect(onSecondaryRateLimit(120, second, undefined, 0)).toBe(true)
    expect(onSecondaryRateLimit(121, request() as unknown as Options, undefined, 0)).toBe(false)
    expect(log.lines.at(-1)).toBe(
      `warning: GitHub secondary rate limit on ${PUT_ROUTE}: asked to wait 121s; giving up (at most 10 retries and 120s of waiting per request)`
    )
  })

  test('does not wait for a cancelled request', () => {
    const { onRateLimit } = rateLimitHandlers({ maxRetries: 3, maxWaitSeconds: 120 }, recordingLogger())
    const options = { ...request(), request: { signal: AbortSignal.abort() } } as unknown as Options
    expect(onRateLimit(1, options, undefined, 0)).toBe(false)
  })
})

describe('retries', () => {
  test('a 500 is retried and the write succeeds', async () => {
    const { target } = await preparedRepo({ retries: 1 })
    const api = github().put(PUT_PATH).reply(500, { message: 'Server Error' }).put(PUT_PATH).reply(201, {})
    await expect(target.writeSecret('A', VALUE)).resolves.toBe('created')
    expect(api.isDone()).toBe(true)
  })

  test('a 500 that persists fails after the configured retries', async () => {
    const { target } = await preparedRepo({ retries: 0 })
    github().put(PUT_PATH).reply(502, { message: 'Bad Gateway' })
    await expect(target.writeSecret('A', VALUE)).rejects.toThrow(
      /\(HTTP 502 "Bad Gateway"\)\. GitHub had a server error/
    )
  })
})

describe('write spacing', () => {
  test('the client adds none of its own: writes issued together go out together (the write pacer spaces them)', async () => {
    const pair = await keyPair()
    const arrivals: Record<string, number> = {}
    const at = (name: string) => () => {
      arrivals[name] = Date.now()
      return [204]
    }
    github()
      .get(KEY_PATH)
      .reply(200, pair.body)
      .put(PUT_PATH)
      .reply(at('A'))
      .put(`${scopePaths.repo}/secrets/B`)
      .reply(at('B'))
    const { secrets } = harness()
    const target = await secrets.prepare(repoTarget, ['A', 'B'])
    await Promise.all([target.writeSecret('A', VALUE), target.writeSecret('B', VALUE)])
    // plugin-throttling's default write group would hold the second write back by a second.
    expect(Math.abs(arrivals.B! - arrivals.A!)).toBeLessThan(500)
  })
})

describe('cancellation', () => {
  test('an already aborted signal sends nothing', async () => {
    const { target } = await preparedRepo()
    // No PUT is mocked: a request would fail as a network error, not as cancelled.
    await expect(target.writeSecret('A', VALUE, AbortSignal.abort())).rejects.toMatchObject({
      status: undefined,
      message: expect.stringMatching(/^repo:acme\/api: write secret A failed: cancelled \(.*\) before GitHub confirmed/)
    })
  })

  test('an abort while the PUT is in flight rejects at once', async () => {
    const { target } = await preparedRepo()
    github().put(PUT_PATH).delay(2000).reply(204)
    const started = Date.now()
    await expect(target.writeSecret('A', VALUE, AbortSignal.timeout(50))).rejects.toThrow(
      /failed: cancelled \(The operation was aborted due to timeout\) before GitHub confirmed; the secret may or may not have been written\.$/
    )
    expect(Date.now() - started).toBeLessThan(1000)
  })

  test('an abort during a rate-limit wait rejects at once and the write is never re-sent', async () => {
    const { target } = await preparedRepo()
    const retried = github().put(PUT_PATH).reply(403, SECONDARY, { 'retry-after': '1' }).put(PUT_PATH).reply(204)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = Date.now()
    await expect(target.writeSecret('A', VALUE, controller.signal)).rejects.toThrow(/cancelled/)
    expect(Date.now() - started).toBeLessThan(800)
    // Past the wait: the retry found its signal aborted and sent nothing.
    await new Promise((resolve) => setTimeout(resolve, 1300))
    expect(retried.pendingMocks()).toEqual([`PUT https://ghe.example:443${PUT_PATH}`])
  })
})
