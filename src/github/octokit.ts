// The Octokit the secrets client runs on: @actions/github's (the runner's proxy settings come
// through our transport), retries for transient failures, waiting on rate limits within a
// budget, spaced writes, and no redirect ever followed.
import { getOctokit } from '@actions/github'
import type { Octokit as CoreOctokit } from '@octokit/core'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
// The build plugin-throttling itself uses, so the bundle holds one copy.
import Bottleneck from 'bottleneck/light.js'
import { RedirectRefusedError } from '../errors.js'
import { apiFetch, isRedirect, redirectTarget } from '../net/fetch.js'
import type { Logger } from '../rotation/ports.js'
import {
  DEFAULT_THROTTLE_LIMITS,
  rateLimitHandlers,
  tagSecondaryRateLimits,
  type ThrottleLimits
} from './rate-limit.js'

/** Requests in flight at once: GitHub allows 100 (a secondary limit); the check step reads every target at once. */
export const GLOBAL_CONCURRENCY = 100
/** plugin-retry's default. */
export const DEFAULT_RETRIES = 3

// plugin-retry never retries 400/401/403/404/410/422/451; 429 joins them because rate
// limits belong to plugin-throttling, which waits as long as GitHub asks, and 409 because a
// conflict (a variable that already exists) answers the same way every time.
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451]

export type GitHubClient = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  token: string
  /** API base, e.g. https://api.github.com or https://ghe.example/api/v3 (no trailing slash needed). */
  baseUrl: string
  log: Logger
  userAgent: string
  /** plugin-retry attempts after 5xx answers and network errors. */
  retries?: number
  throttleLimits?: Partial<ThrottleLimits>
  /**
   * Told how long GitHub asked to wait whenever a request waits on a rate limit
   * (the write pacer holds back the other writes).
   */
  onRateLimitWait?: (ms: number) => void
  /** plugin-retry's base wait: retry N waits N² times this (its default is 1000 ms). */
  retryBaseMs?: number
  /** Abort a request that has not answered within this (a hung connection must not hang the run). */
  requestTimeoutMs?: number
  /** Told when GitHub reports when the token expires (`github-authentication-token-expiration`). */
  onTokenExpiration?: (at: Date) => void
}

export function createOctokit(options: OctokitOptions): GitHubClient {
  const { log } = options
  const limits = { ...DEFAULT_THROTTLE_LIMITS, ...options.throttleLimits }
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const fetch = apiFetch(baseUrl)
  const octokit = getOctokit(
    options.token,
    {
      baseUrl,
      userAgent: options.userAgent,
      // Octokit passes request options (headers, body) as a second argument; only the
      // message is forwarded so no body reaches a log. Per-request lines and failures are
      // debug: failures are raised as typed errors with advice.
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.debug(message),
        warn: (message: string) => log.warning(message),
        error: (message: string) => log.debug(message)
      },
      // The retry count goes to the plugin, not to `request.retries`: plugin-retry reads
      // `request.retries` of *every* failed request, so as a default it would re-send even
      // a 404 or 422 at once.
      retry: {
        retries: options.retries ?? DEFAULT_RETRIES,
        doNotRetry: DO_NOT_RETRY,
        retryAfterBaseValue: options.retryBaseMs ?? 1000
      },
      request: { fetch: options.requestTimeoutMs ? withTimeout(fetch, options.requestTimeoutMs) : fetch },
      throttle: {
        ...rateLimitHandlers(limits, log, options.onRateLimitWait),
        // The plugin's shared default allows 10 requests at once; GitHub allows 100, and the
        // check step reads every target's public key in parallel. The plugin reads every group
        // from these options (its state), but types only some of them.
        ...({ global: new Bottleneck.Group({ maxConcurrent: GLOBAL_CONCURRENCY }) } as object),
        // Writes are spaced by the protocol's write pacer, which also decides their order (the
        // second write of a pair first); the plugin's default write group would space them a
        // second time, in arrival order, and would keep spacing them after a cancellation.
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 })
      }
    },
    // Innermost, so that the plugins outside see the refusal as an error; the retry plugin lets it
    // through, as it carries neither an HTTP status nor the request.
    refuseRedirects,
    tagSecondaryRateLimits,
    retry,
    throttling
  )
  // Every request carries GitHub's current media type and a pinned API version (the contract's network rules).
  octokit.hook.before('request', (request) => {
    request.headers.accept = 'application/vnd.github+json'
    request.headers['x-github-api-version'] = GITHUB_API_VERSION
  })
  const { onTokenExpiration } = options
  if (onTokenExpiration) {
    octokit.hook.after('request', (response) => {
      const at = parseTokenExpiration(response.headers[TOKEN_EXPIRATION_HEADER])
      if (at) onTokenExpiration(at)
    })
  }
  return octokit
}

export const GITHUB_API_VERSION = '2022-11-28'
export const TOKEN_EXPIRATION_HEADER = 'github-authentication-token-expiration'

/** `2026-12-02 07:00:00 UTC` (or with a `+0100`-style offset), as GitHub sends it; undefined if unreadable. */
export function parseTokenExpiration(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim())
  if (!match) return undefined
  const zone =
    match[3] === undefined || match[3] === 'UTC' || match[3] === 'Z'
      ? 'Z'
      : match[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
  const at = new Date(`${match[1]}T${match[2]}${zone}`)
  return Number.isNaN(at.getTime()) ? undefined : at
}

function withTimeout(send: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    return send(input, { ...init, signal })
  }
}

/**
 * Octokit takes a 3xx answer for a success (a secret PUT answered 307 would count as written).
 * The transport never follows one; this turns it into an error that names where it pointed.
 */
function refuseRedirects(octokit: CoreOctokit): void {
  octokit.hook.wrap('request', async (request, options) => {
    const response = await request(options)
    if (!isRedirect(response.status)) return response
    const headers = response.headers as Record<string, string | undefined>
    throw new RedirectRefusedError(
      `GitHub answered ${options.method} ${options.url} with a redirect (HTTP ${response.status}) ` +
        `to ${redirectTarget(headers.location)}; the action never follows a redirect, which would carry ` +
        'the github-token along: check github-api-url (GHES: https://HOST/api/v3).',
      response.status
    )
  })
}
