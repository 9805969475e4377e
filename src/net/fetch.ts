// The one transport under both API clients: the runner's proxy settings, and no redirects.
// Self-hosted runners reach the internet through the proxy that HTTPS_PROXY / NO_PROXY name
// (either case); the global fetch ignores those variables, so the decision is the one
// @actions/http-client makes for @actions/github, and a proxied request goes through undici's
// ProxyAgent. Extra certificate authorities (NODE_EXTRA_CA_CERTS, what corporate proxies that
// re-sign TLS need) are part of Node's default trust store, which both paths use.
import { HttpClient } from '@actions/http-client'
import { fetch as undiciFetch, type Dispatcher } from 'undici'
import { redactKnownTokens } from '../redact.js'

/** How a redirect answer looks: followed by no client of this action, same origin or not. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status <= 399 && status !== 304
}

/**
 * Where a redirect pointed, fit for a message: the server chose it, so it is cut short and
 * loses anything shaped like a token (the sinks also redact every known secret by value).
 */
export function redirectTarget(location: string | null | undefined): string {
  if (!location) return 'no location'
  const oneLine = redactKnownTokens(location).replace(/\s+/g, ' ').trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine
}

/**
 * Advice for a failure that names an untrusted certificate (an error code or text), else ''.
 * Behind a proxy that re-signs TLS, Node trusts its authority only when told.
 */
export function certificateAdvice(reason: string): string {
  return /CERT|certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(reason)
    ? " The server's TLS certificate was not trusted: behind a proxy that re-signs TLS, set NODE_EXTRA_CA_CERTS " +
        "to a file with the proxy's certificate authority (PEM) in the job's env."
    : ''
}

export interface Route {
  /** The proxy's origin (never its credentials), or undefined for a direct connection. */
  proxy: string | undefined
}

/**
 * The route to `destination` under the current environment: loopback and hosts that NO_PROXY
 * names go direct; otherwise HTTPS_PROXY for https:// (HTTP_PROXY for http://), either case.
 */
export function routeTo(destination: string): Route {
  const proxy = new HttpClient().getAgentDispatcher(destination) === undefined ? undefined : proxyOrigin(destination)
  return { proxy }
}

function proxyOrigin(destination: string): string | undefined {
  const https = new URL(destination).protocol === 'https:'
  const env = process.env
  const value = https ? (env.https_proxy ?? env.HTTPS_PROXY) : (env.http_proxy ?? env.HTTP_PROXY)
  if (!value) return undefined
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).origin
  } catch {
    return 'the configured proxy'
  }
}

/**
 * A fetch for one API: through the proxy the environment names for `destination`, directly
 * otherwise, and never following a redirect (a redirected request would carry the
 * Authorization header to wherever the answer points). A redirect comes back as the 3xx
 * answer itself; each client turns it into its error.
 */
export function apiFetch(destination: string): typeof fetch {
  const dispatcher: Dispatcher | undefined = new HttpClient().getAgentDispatcher(destination)
  const send: typeof fetch =
    dispatcher === undefined
      ? // Looked up per call, so that a fetch replaced later (nock, in the wire-level tests) is used.
        (input, init) => globalThis.fetch(input, init)
      : // The dispatcher belongs to the bundled undici, so its fetch must carry it.
        (input, init) =>
          undiciFetch(input as Parameters<typeof undiciFetch>[0], {
            ...(init as Parameters<typeof undiciFetch>[1]),
            dispatcher
          }) as unknown as Promise<Response>
  return (input, init) => send(input, { ...init, redirect: 'manual' })
}

/** A warning for a runner whose proxy settings cannot apply to HTTPS APIs, or undefined. */
export function proxySettingsWarning(env: Record<string, string | undefined> = process.env): string | undefined {
  const httpsProxy = env.https_proxy ?? env.HTTPS_PROXY
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY
  if (httpsProxy || !httpProxy) return undefined
  return (
    'HTTP_PROXY is set but HTTPS_PROXY is not: both APIs are HTTPS, so their requests go direct. ' +
    'Set HTTPS_PROXY (GitHub documents both for self-hosted runners behind a proxy).'
  )
}
