// Public types of the emulator's programmatic API (shared by both fake APIs and the control layer).

export type ApiName = 'planetscale' | 'github'
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** One handled request. Never holds a body or a secret: the authorization is a label. */
export interface LogEntry {
  seq: number
  api: ApiName
  method: string
  /** Path without the base prefix and without the query, as sent (not URL-decoded). */
  path: string
  query: Record<string, string>
  status: number | 'reset' | 'hang'
  /** performance.now() based, in ms. */
  startedAt: number
  endedAt: number
  /** 'planetscale:<tokenId>' or 'github:<first 8 chars>…'; undefined without an Authorization header. */
  authorization: string | undefined
}

/** Matches calls: a string equals the path with or without the base prefix; a RegExp is tested against the path without it. */
export interface RouteMatcher {
  api?: ApiName
  method?: HttpMethod | string
  path: string | RegExp
}

export type FaultResponse =
  /** `body`: an object is sent as JSON, a string as-is (e.g. an edge's HTML page), undefined as an empty body. */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { reset: true }
  /** Wait this long, then destroy the socket. */
  | { hangMs: number }

export interface FaultRule extends RouteMatcher {
  /** 1-based: the first matching call the fault applies to (default 1). */
  nth?: number
  /** How many consecutive matching calls it applies to from `nth` (default 1; Infinity ok). */
  times?: number
  /**
   * 'before' (default): the call never reaches the API, nothing changes.
   * 'after': the API handles the call (state changes) and the fault replaces its response,
   * as when a response is lost on the way back.
   */
  phase?: 'before' | 'after'
  response: FaultResponse
}

/**
 * Holds one request open for a kill test: the `nth` matching request counted from holdAt (default 1)
 * is never answered. It still waits its latency; fault rules neither see nor count it. It stays open until
 * releaseHolds(), stop() or the client going away, then is logged with status 'hang'.
 */
export interface HoldRule extends RouteMatcher {
  nth?: number
  /** 'before' (default): the API never sees it. 'after': the API applies it (state changes), the answer never leaves. */
  phase?: 'before' | 'after'
}

/** A request a hold caught; `seq` is its log sequence number. */
export interface HeldRequest {
  api: ApiName
  method: string
  path: string
  seq: number
}

export interface RouteLatency extends RouteMatcher {
  ms: number
}

export interface LatencySettings {
  planetscale?: number
  github?: number
  /** Replaces the list. The first matching route's `ms` replaces the API's latency for that call. */
  routes?: RouteLatency[]
}

export interface Concurrency {
  /** Requests in flight now (latency waits included). */
  current: number
  /** Highest `current` seen since start or the last clearLog(). */
  peak: number
}
