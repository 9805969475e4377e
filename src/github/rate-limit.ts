// How the client reacts to GitHub rate limits. plugin-throttling decides *that* a
// response is a rate limit and how long GitHub asked to wait; these handlers decide
// whether waiting is still worth it.
import type { Octokit as CoreOctokit } from '@octokit/core'
import type { EndpointDefaults } from '@octokit/types'
import type { Logger } from '../rotation/ports.js'

export interface ThrottleLimits {
  /** Retries of one request after rate-limit answers. */
  maxRetries: number
  /** Seconds one request may wait on rate limits in total before giving up. */
  maxWaitSeconds: number
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = { maxRetries: 3, maxWaitSeconds: 120 }

type LimitKind = 'primary' | 'secondary'
type LimitHandler = (
  retryAfter: number,
  options: Required<EndpointDefaults>,
  octokit: unknown,
  retryCount: number
) => boolean

export function rateLimitHandlers(
  limits: ThrottleLimits,
  log: Logger,
  onWait: (ms: number) => void = () => {}
): { onRateLimit: LimitHandler; onSecondaryRateLimit: LimitHandler } {
  // plugin-throttling retries a request with the same options object, so it identifies
  // the request across its retries.
  const waited = new WeakMap<object, number>()

  const handler =
    (kind: LimitKind): LimitHandler =>
    (retryAfter, options, _octokit, retryCount) => {
      // The route template, never the expanded URL or the body.
      const route = `${options.method} ${options.url}`
      const total = (waited.get(options) ?? 0) + retryAfter
      if (options.request?.signal?.aborted) return false
      if (retryCount >= limits.maxRetries || total > limits.maxWaitSeconds) {
        log.warning(
          `GitHub ${kind} rate limit on ${route}: asked to wait ${retryAfter}s; giving up ` +
            `(at most ${limits.maxRetries} retries and ${limits.maxWaitSeconds}s of waiting per request)`
        )
        return false
      }
      waited.set(options, total)
      onWait(retryAfter * 1000)
      log.warning(
        `GitHub ${kind} rate limit on ${route}: waiting ${retryAfter}s, ` +
          `then retry ${retryCount + 1} of ${limits.maxRetries}`
      )
      return true
    }

  return { onRateLimit: handler('primary'), onSecondaryRateLimit: handler('secondary') }
}

/**
 * plugin-throttling only treats a response as a secondary limit when its message says
 * "secondary rate". GitHub (and proxies in front of GHES) also answer a bare 429, or a
 * 403 with `retry-after`; GitHub asks clients to honour those the same way. Tagging the
 * error lets the throttling plugin wait as asked instead of failing or, for a 429,
 * letting plugin-retry hammer the API on its own schedule.
 */
export function tagSecondaryRateLimits(octokit: CoreOctokit): void {
  octokit.hook.error('request', (error) => {
    if (isUntaggedSecondaryLimit(error)) error.message = `${error.message} (secondary rate limit)`
    throw error
  })
}

function isUntaggedSecondaryLimit(error: unknown): error is Error {
  if (!(error instanceof Error)) return false
  const { status, response } = error as Error & {
    status?: number
    response?: { headers?: Record<string, string | undefined> }
  }
  const headers = response?.headers
  if (headers === undefined || /\bsecondary rate\b/i.test(error.message)) return false
  if (headers['x-ratelimit-remaining'] === '0') return false // primary: the plugin reads the reset time
  return status === 429 || (status === 403 && headers['retry-after'] !== undefined)
}

/** Writes to reserve per target: its pair, and writing the old pair back if the second write fails. */
export const WRITES_RESERVED_PER_TARGET = 4

export interface PrimaryBudget {
  /**
   * What the last answer said of the token's hourly budget; undefined when GitHub sends no such headers
   * (e.g. GHES with limits off).
   */
  latest(): { remaining: number; resetAt: Date | undefined } | undefined
}

/**
 * Follows `x-ratelimit-remaining` on every answer. A pair whose ID is written but whose token
 * write then hits an exhausted hourly budget cannot be put back before the reset: the target is
 * locked out for up to an hour. Knowing the budget lets the check step refuse to start instead.
 */
export function trackPrimaryBudget(octokit: CoreOctokit): PrimaryBudget {
  let latest: { remaining: number; resetAt: Date | undefined } | undefined
  const note = (headers: Record<string, unknown> | undefined): void => {
    const remaining = Number(headers?.['x-ratelimit-remaining'])
    if (headers?.['x-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return
    const reset = Number(headers['x-ratelimit-reset'])
    latest = { remaining, resetAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined }
  }
  octokit.hook.after('request', (response) => note(response.headers as Record<string, unknown>))
  octokit.hook.error('request', (error) => {
    note((error as { response?: { headers?: Record<string, unknown> } }).response?.headers)
    throw error
  })
  return { latest: () => latest }
}
