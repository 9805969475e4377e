// One loopback HTTP (or HTTPS, with a test certificate) server per API. The pipeline every request goes through:
// hold points (counted on arrival) → read body → latency → fault rules → the API's handler → response → log entry.
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { PREFIXES, type Control } from './control.js'
import type { ApiName, Concurrency } from './types.js'

export interface ApiRequest {
  method: string
  /** Without the base prefix and the query; not URL-decoded. */
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: string
  /** e.g. http://127.0.0.1:1234/v1 */
  baseUrl: string
  /** Requests of this API in flight, this one included. */
  inFlight: number
}

export interface ApiResponse {
  status: number
  /** An object is sent as JSON, a string as-is, undefined as no body. */
  body?: unknown
  headers?: Record<string, string>
}

export interface ApiHandler {
  readonly api: ApiName
  handle(request: ApiRequest): ApiResponse | Promise<ApiResponse>
  /** The label the log shows instead of the credential. */
  describeAuthorization(header: string | undefined): string | undefined
  /** Headers sent with every response, fault responses included (e.g. rate-limit headers). */
  commonHeaders?(request: ApiRequest): Record<string, string>
  notFound(): ApiResponse
}

const MAX_BODY_BYTES = 1024 * 1024

/** Serve over TLS under a name the certificate holds (a proxy, or the name's own resolution, reaches it). */
export interface TlsOptions {
  key: string
  cert: string
  /** The host name in the base URLs, e.g. `emulator.test` (reached through a proxy that knows it). */
  hostname: string
}

export class ApiServer {
  private readonly server: http.Server | https.Server
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Releases of the requests held open for kill tests. */
  private readonly held = new Set<() => void>()
  private inFlight = 0
  private peak = 0
  private stopped = false
  private base = ''

  constructor(
    private readonly handler: ApiHandler,
    private readonly control: Control,
    private readonly tls?: TlsOptions
  ) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.serve(req, res).catch(() => res.destroy())
    }
    this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener)
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => resolve())
    })
    const { port: bound } = this.server.address() as AddressInfo
    const origin = this.tls ? `https://${this.tls.hostname}:${bound}` : `http://127.0.0.1:${bound}`
    this.base = `${origin}${PREFIXES[this.handler.api]}`
    return this.base
  }

  get concurrency(): Concurrency {
    return { current: this.inFlight, peak: this.peak }
  }

  resetPeak(): void {
    this.peak = this.inFlight
  }

  /** Drops every held connection; each is logged with status 'hang'. */
  releaseHolds(): void {
    for (const release of [...this.held]) release()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.releaseHolds()
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { api } = this.handler
    const seq = this.control.nextSeq()
    const startedAt = performance.now()
    this.inFlight++
    this.peak = Math.max(this.peak, this.inFlight)
    const url = new URL(req.url ?? '/', 'http://emulator')
    const prefix = PREFIXES[api]
    const underPrefix = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)
    const path = underPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname
    const method = (req.method ?? 'GET').toUpperCase()
    const authHeader = req.headers.authorization
    const hold = this.control.takeHold(api, method, path)
    const finish = (status: number | 'reset' | 'hang') => {
      this.inFlight--
      this.control.record({
        seq,
        api,
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        status,
        startedAt,
        endedAt: performance.now(),
        authorization: this.handler.describeAuthorization(authHeader)
      })
    }

    let body: string
    try {
      body = await readBody(req)
    } catch {
      hold?.reject(new Error(`held request ${seq} was refused: body too large`))
      res.writeHead(413).end()
      finish(413)
      return
    }
    const request: ApiRequest = {
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      baseUrl: this.base,
      inFlight: this.inFlight
    }

    await this.sleep(this.control.latencyFor(api, method, path))
    if (hold) {
      if (hold.phase === 'after' && !this.stopped) await this.respond(request, underPrefix)
      if (this.stopped) {
        hold.reject(new Error('emulator stopped'))
        return
      }
      this.park(req, res, finish)
      hold.resolve({ api, method, path, seq })
      return
    }
    if (this.stopped) return
    const fault = this.control.takeFault(api, method, path)

    let response: ApiResponse | undefined
    if (!fault || fault.phase === 'after') response = await this.respond(request, underPrefix)
    if (fault) {
      const f = fault.response
      if ('reset' in f) {
        req.socket.destroy()
        finish('reset')
        return
      }
      if ('hangMs' in f) {
        await this.sleep(f.hangMs)
        req.socket.destroy()
        finish('hang')
        return
      }
      response = { status: f.status, body: f.body, headers: f.headers }
    }
    const final = response as ApiResponse
    const common = this.handler.commonHeaders?.(request) ?? {}
    send(res, final, common)
    finish(final.status)
  }

  private async respond(request: ApiRequest, underPrefix: boolean): Promise<ApiResponse> {
    try {
      return underPrefix ? await this.handler.handle(request) : this.handler.notFound()
    } catch (error) {
      console.error(`[emulator] ${this.handler.api} ${request.method} ${request.path} failed:`, error)
      return { status: 500, body: { message: 'Emulator internal error' } }
    }
  }

  /** Leaves the request unanswered until releaseHolds(), stop() or the client goes away (e.g. is killed). */
  private park(req: http.IncomingMessage, res: http.ServerResponse, finish: (status: 'hang') => void): void {
    let done = false
    const release = () => {
      if (done) return
      done = true
      this.held.delete(release)
      finish('hang')
      req.socket.destroy()
    }
    this.held.add(release)
    res.once('close', release)
    if (req.socket.destroyed) release()
  }
}

function send(res: http.ServerResponse, response: ApiResponse, common: Record<string, string>): void {
  const headers: Record<string, string> = { ...common }
  let payload: string | undefined
  if (typeof response.body === 'string') {
    payload = response.body
    headers['content-type'] = 'text/plain; charset=utf-8'
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body)
    headers['content-type'] = 'application/json; charset=utf-8'
  }
  Object.assign(headers, response.headers)
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload))
  res.writeHead(response.status, headers)
  res.end(payload)
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'))
        req.pause()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  if (body.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(body) as unknown }
  } catch {
    return { ok: false }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads `page` / `per_page`; undefined when either is not a positive integer. */
export function pageParams(
  query: URLSearchParams,
  defaultPerPage: number
): { page: number; perPage: number } | undefined {
  const parse = (name: string, fallback: number) => {
    const raw = query.get(name)
    if (raw === null || raw === '') return fallback
    return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined
  }
  const page = parse('page', 1)
  const perPage = parse('per_page', defaultPerPage)
  if (page === undefined || perPage === undefined) return undefined
  return { page, perPage: Math.min(perPage, 100) }
}
