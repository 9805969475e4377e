// The one transport under both API clients: the runner's proxy settings, and no redirects.
// Self-hosted runners reach the internet through the proxy that HTTPS_PROXY / NO_PROXY name
// (either case); Node's fetch ignores those variables (unless NODE_USE_ENV_PROXY is set for
// the whole process, which a runner does not do), so the decision is the one
// @actions/http-client makes for @actions/github, and a proxied request goes through undici's
// ProxyAgent. Extra certificate authorities (NODE_EXTRA_CA_CERTS, what corporate proxies that
// re-sign TLS need) are part of Node's default trust store, which both paths use.
import { HttpClient } from '@actions/http-client'
import { checkBypass, getProxyUrl } from '@actions/http-client/lib/proxy.js'
import { fetch as undiciFetch, type Dispatcher } from 'undici'
import { RunnerSettingError } from '../errors.js'
import { redactKnownTokens } from '../redact.js'

/** How a redirect answer looks: followed by no client of this action, same origin or not. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status <= 399 && status !== 304
}

/**
 * Where a redirect pointed, fit for a message: the server chose it, so only its origin and path
 * are shown (a query can carry a code or a signature), cut at a path step, and anything shaped
 * like a token is replaced (the sinks also redact every known secret by value).
 */
export function redirectTarget(location: string | null | undefined): string {
  if (!location) return 'no location'
  let shown: string
  try {
    const url = new URL(location, RELATIVE_BASE)
    shown = url.origin === RELATIVE_BASE ? url.pathname : `${url.origin}${url.pathname}`
  } catch {
    shown = location.split(/[?#]/)[0] ?? ''
  }
  shown = redactKnownTokens(shown).replace(/\s+/g, ' ').trim()
  if (shown.length <= 200) return shown
  const cut = shown.lastIndexOf('/', 200)
  return `${shown.slice(0, cut > 0 ? cut : 200)}/…`
}

const RELATIVE_BASE = 'http://relative.invalid'

/** Node's codes and texts for a certificate signed by an authority it does not trust. */
const UNTRUSTED_CERTIFICATE = new RegExp(
  [
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'unable to verify the first certificate',
    'unable to get local issuer certificate',
    'self[- ]signed certificate'
  ].join('|'),
  'i'
)

/**
 * Advice for a failure that names a certificate from an unknown authority, else ''. Behind a
 * proxy that re-signs TLS, Node trusts its authority only when told. (An expired certificate or
 * a name mismatch is another matter, and gets no such advice.)
 */
export function certificateAdvice(reason: string): string {
  return UNTRUSTED_CERTIFICATE.test(reason)
    ? " The server's TLS certificate was not trusted: behind a proxy that re-signs TLS, set NODE_EXTRA_CA_CERTS " +
        "to a file with the proxy's certificate authority (PEM) in the job's env."
    : ''
}

export interface Route {
  /** The proxy's origin (never its credentials), or undefined for a direct connection. */
  proxy: string | undefined
  /** undici's ProxyAgent for it, or undefined for a direct connection. */
  dispatcher: Dispatcher | undefined
}

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'] as const
/** One route (and so one connection pool) per origin and proxy settings. */
const routes = new Map<string, Route>()

/**
 * The route to `destination`, as @actions/http-client decides it for @actions/github: loopback
 * and hosts that NO_PROXY names go direct; otherwise HTTPS_PROXY for https:// (HTTP_PROXY for
 * http://), lower case first. A proxy variable that applies but is no proxy URL stops the run:
 * the requests would otherwise go direct, or fail with an error that names nothing.
 */
export function routeTo(destination: string): Route {
  const url = new URL(destination)
  const key = [url.origin, ...PROXY_VARIABLES.map((name) => process.env[name] ?? '')].join('\n')
  const known = routes.get(key)
  if (known) return known
  const https = url.protocol === 'https:'
  const variable = https ? 'HTTPS_PROXY' : 'HTTP_PROXY'
  const set = https
    ? process.env.https_proxy || process.env.HTTPS_PROXY
    : process.env.http_proxy || process.env.HTTP_PROXY
  let route: Route
  try {
    const proxy = getProxyUrl(url)
    const dispatcher = new HttpClient().getAgentDispatcher(destination)
    route = { proxy: dispatcher && proxy ? proxy.origin : undefined, dispatcher }
  } catch {
    throw unusableProxy(variable, url.host)
  }
  if (route.dispatcher === undefined && set && !checkBypass(url)) throw unusableProxy(variable, url.host)
  routes.set(key, route)
  return route
}

function unusableProxy(variable: string, host: string): RunnerSettingError {
  return new RunnerSettingError(
    `${variable} (or ${variable.toLowerCase()}) is set but is not a proxy URL the action can use for ${host}: ` +
      'give http://HOST:PORT or https://HOST:PORT (credentials may go in it: http://USER:PASSWORD@HOST:PORT), ' +
      'or name the host in NO_PROXY.'
  )
}

/**
 * A fetch for one API: through the proxy the environment names for `destination`, directly
 * otherwise, and never following a redirect (a redirected request would carry the
 * Authorization header to wherever the answer points). A redirect comes back as the 3xx
 * answer itself; each client turns it into its error.
 */
export function apiFetch(destination: string): typeof fetch {
  const { dispatcher } = routeTo(destination)
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
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY
  const httpProxy = env.http_proxy || env.HTTP_PROXY
  if (httpsProxy || !httpProxy) return undefined
  return (
    'HTTP_PROXY is set but HTTPS_PROXY is not: both APIs are HTTPS, so their requests go direct. ' +
    'Set HTTPS_PROXY (GitHub documents both for self-hosted runners behind a proxy).'
  )
}
