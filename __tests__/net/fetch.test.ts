// The transport's decisions, in process: the route for each API under the proxy variables, the
// refusal of a proxy setting that cannot work, what a redirect's target shows, and which
// certificate failures get the NODE_EXTRA_CA_CERTS advice.
import { afterEach, expect, test } from '@jest/globals'
import { RunnerSettingError } from '../../src/errors.js'
import { certificateAdvice, proxySettingsWarning, redirectTarget, routeTo } from '../../src/net/fetch.js'

const VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY']
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]))

function setProxyEnv(values: Record<string, string>): void {
  for (const name of VARIABLES) delete process.env[name]
  Object.assign(process.env, values)
}

afterEach(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

test('HTTPS_PROXY routes an HTTPS API through the proxy, once per origin; NO_PROXY and loopback go direct', () => {
  setProxyEnv({ HTTPS_PROXY: 'http://runner:s3cret@proxy.corp:3128', NO_PROXY: '.internal.example' })
  const github = routeTo('https://api.github.com')
  expect(github.proxy).toBe('http://proxy.corp:3128')
  expect(github.dispatcher).toBeDefined()
  // One pool per origin: both clients of a run share it.
  expect(routeTo('https://api.github.com/repos')).toBe(github)
  expect(routeTo('https://ghe.internal.example/api/v3')).toMatchObject({ proxy: undefined, dispatcher: undefined })
  expect(routeTo('http://127.0.0.1:8080/v1')).toMatchObject({ proxy: undefined, dispatcher: undefined })
})

test('lower case wins, as @actions/http-client reads it; an empty lower-case value does not hide the upper', () => {
  setProxyEnv({ https_proxy: 'http://lower.corp:1', HTTPS_PROXY: 'http://upper.corp:2' })
  expect(routeTo('https://api.planetscale.com/v1').proxy).toBe('http://lower.corp:1')
  setProxyEnv({ https_proxy: '', HTTPS_PROXY: 'http://upper.corp:2' })
  expect(routeTo('https://api.planetscale.com/v1').proxy).toBe('http://upper.corp:2')
  expect(proxySettingsWarning({ https_proxy: '', HTTPS_PROXY: 'http://upper.corp:2', HTTP_PROXY: 'x' })).toBeUndefined()
})

test.each([
  ['a SOCKS proxy', 'socks5://proxy.corp:1080'],
  ['no scheme, read as a scheme of its own', 'proxy.corp:8080']
])('a proxy setting that cannot work (%s) stops the run, naming the variable, never its value', (_what, value) => {
  setProxyEnv({ HTTPS_PROXY: value })
  const error = (() => {
    try {
      routeTo('https://api.github.com')
      return undefined
    } catch (e) {
      return e as Error
    }
  })()
  expect(error).toBeInstanceOf(RunnerSettingError)
  expect(error?.message).toContain('HTTPS_PROXY (or https_proxy) is set but is not a proxy URL')
  expect(error?.message).toContain('api.github.com')
  expect(error?.message).not.toContain('proxy.corp')
})

test('only HTTP_PROXY set: a warning that the HTTPS APIs go direct', () => {
  expect(proxySettingsWarning({ HTTP_PROXY: 'http://p:1' })).toMatch(/Set HTTPS_PROXY/)
  expect(proxySettingsWarning({ HTTP_PROXY: 'http://p:1', HTTPS_PROXY: 'http://p:1' })).toBeUndefined()
  expect(proxySettingsWarning({})).toBeUndefined()
})

test("a redirect's target shows its origin and path: no query, no fragment, no token shape, cut at a path step", () => {
  expect(redirectTarget('https://evil.example/steal?code=abc123&sig=xyz#frag')).toBe('https://evil.example/steal')
  expect(redirectTarget('/v1/organizations?token=1')).toBe('/v1/organizations')
  expect(redirectTarget(`https://x.example/pscale_tkn_${'a'.repeat(30)}/next`)).toBe(
    'https://x.example/[redacted]/next'
  )
  expect(redirectTarget(undefined)).toBe('no location')
  const long = redirectTarget(`https://x.example/${'segment/'.repeat(40)}end`)
  expect(long.length).toBeLessThanOrEqual(202)
  expect(long).toMatch(/\/segment\/…$/)
})

test('the NODE_EXTRA_CA_CERTS advice goes to an unknown authority, not to an expired certificate or a wrong name', () => {
  for (const reason of [
    'network error UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'network error SELF_SIGNED_CERT_IN_CHAIN',
    'unable to verify the first certificate',
    'unable to get local issuer certificate'
  ])
    expect(certificateAdvice(reason)).toContain('NODE_EXTRA_CA_CERTS')
  for (const reason of ['network error CERT_HAS_EXPIRED', 'network error ERR_TLS_CERT_ALTNAME_INVALID', 'ECONNRESET'])
    expect(certificateAdvice(reason)).toBe('')
})
