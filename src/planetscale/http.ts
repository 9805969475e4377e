// The wire: one JSON request to PlanetScale with timeouts, bounded retries and no redirects.
// It returns what happened; turning a failure into advice is errors.ts's job.
import { setTimeout as delay } from 'node:timers/promises'
import { apiFetch, isRedirect } from '../net/fetch.js'
import type { Logger, Sleep } from '../rotation/ports.js'
import type { Credentials } from './types.js'

export interface HttpOptions {
  /** e.g. 'https://api.planetscale.com/v1'; trailing slashes are ignored. */
  baseUrl: string
  /** Sent as `Authorization: ID:TOKEN`. */
  credentials: Credentials
  /** Debug lines about retries (never bodies or headers). */
  log?: Logger
  sleep?: Sleep
  /** Jitter source in [0, 1). */
  random?: () => number
  /** Clock for `retry-after` HTTP dates. */
  now?: () => number
  /** Per attempt, default 15000. A timeout is retried like a network error. */
  timeoutMs?: number
  /** Default 5. */
  maxAttempts?: number
  /** First backoff ceiling, doubled each attempt; default 1000. */
  baseDelayMs?: number
  /** Cap on one wait, `retry-after` included; default 30000. */
  maxRetryDelayMs?: number
  /** Cap on all waits of one request together; default 60000. */
  maxTotalDelayMs?: number
  fetch?: typeof fetch
  userAgent: string
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE'
  /** From paths.ts, query included. */
  path: string
  /** Sent as JSON when present. */
  body?: unknown
  /**
   * False for a request that must not run twice (creating a token). It is then retried
   * only on answers that say the server did nothing (429, 503), never after a network
   * error, a timeout or another 5xx, where the server may have acted.
   */
  idempotent: boolean
}

export type HttpOutcome =
  | {
      kind: 'response'
      status: number
      /** Parsed JSON, or undefined for an empty or non-JSON body. */
      body: unknown
      attempts: number
      /** A non-idempotent request failed in a way that may still have taken effect. */
      uncertain: boolean
      /** Where a redirect pointed (never followed). */
      location?: string
    }
  | {
      kind: 'no-response'
      /** Short and secret-free: "no answer within 15000 ms", "network error ECONNRESET". */
      reason: string
      attempts: number
      uncertain: boolean
    }

export type Send = (request: HttpRequest) => Promise<HttpOutcome>

type Attempt = HttpOutcome & { retryAfterMs?: number }

const realSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal })

export function createHttp(options: HttpOptions): Send {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const authorization = `${options.credentials.id}:${options.credentials.token}`
  const log = options.log
  const sleep = options.sleep ?? realSleep
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? 15_000
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 5))
  const baseDelayMs = options.baseDelayMs ?? 1_000
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
  const maxTotalDelayMs = options.maxTotalDelayMs ?? 60_000
  const doFetch: typeof fetch = options.fetch ?? apiFetch(baseUrl)

  async function attempt(request: HttpRequest, attempts: number): Promise<Attempt> {
    const headers: Record<string, string> = {
      Authorization: authorization,
      Accept: 'application/json',
      'User-Agent': options.userAgent
    }
    if (request.body !== undefined) headers['Content-Type'] = 'application/json'
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const response = await doFetch(baseUrl + request.path, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        // A redirect could carry the Authorization header to another host.
        redirect: 'manual',
        signal
      })
      const body = parseJson(await response.text())
      const status = response.status
      return {
        kind: 'response',
        status,
        body,
        attempts,
        uncertain: !request.idempotent && status >= 500 && status !== 503,
        ...(isRedirect(status) && { location: response.headers.get('location') ?? undefined }),
        retryAfterMs:
          status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now()) : undefined
      }
    } catch (error) {
      const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : networkReason(error)
      return { kind: 'no-response', reason, attempts, uncertain: !request.idempotent }
    }
  }

  function retryable(request: HttpRequest, outcome: Attempt): boolean {
    if (outcome.kind === 'no-response') return request.idempotent
    if (outcome.status === 429 || outcome.status === 503) return true
    // planetscale-go reads a 422 `unprocessable` as "retry"; a bad body stays bad, so once is enough.
    // A create is not retried: its 422 is nearly always a refused ttl or name.
    if (outcome.status === 422) return request.idempotent && outcome.attempts === 1 && isUnprocessable(outcome.body)
    return request.idempotent && outcome.status >= 500 && outcome.status <= 599
  }

  return async function send(request) {
    let waited = 0
    for (let attempts = 1; ; attempts++) {
      const outcome = await attempt(request, attempts)
      const what = outcome.kind === 'response' ? `HTTP ${outcome.status}` : outcome.reason
      if (!retryable(request, outcome) || attempts >= maxAttempts) return strip(outcome)
      // Full jitter: spreads out clients that failed together.
      const backoff = Math.floor(random() * Math.min(maxRetryDelayMs, baseDelayMs * 2 ** (attempts - 1)))
      const wait = Math.min(outcome.retryAfterMs ?? backoff, maxRetryDelayMs)
      if (waited + wait > maxTotalDelayMs) {
        log?.debug(
          `PlanetScale ${request.method} ${request.path}: ${what}; ` +
            `not retrying, waits would exceed ${maxTotalDelayMs} ms`
        )
        return strip(outcome)
      }
      log?.debug(
        `PlanetScale ${request.method} ${request.path}: ${what} ` +
          `(attempt ${attempts} of ${maxAttempts}), retrying in ${wait} ms`
      )
      await sleep(wait)
      waited += wait
    }
  }
}

function isUnprocessable(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'unprocessable'
}

function strip(outcome: Attempt): HttpOutcome {
  const { retryAfterMs: _ignored, ...rest } = outcome
  return rest
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** `retry-after` as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // Date.parse alone takes "1.5" or "-1" for dates; an HTTP date has a day and month name.
  const date = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * Only a system error code (ECONNRESET…) goes into messages: error texts can quote anything.
 * The one text read is undici's for a proxy that refused the tunnel, and only its status.
 */
function networkReason(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const refused = /^Proxy response \((\d{3})\)/.exec(String((current as { message?: unknown }).message))
    if (refused) return `the proxy refused the connection (HTTP ${refused[1]}): check HTTPS_PROXY and its credentials`
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return `network error ${code}`
    current = (current as { cause?: unknown }).cause
  }
  return 'network error'
}
