// API base URLs. Credentials travel in headers to these hosts, so plain HTTP is refused
// except on loopback, where the emulator runs.
import { InputError } from '../errors.js'
import { quote } from './text.js'

function isLoopback(hostname: string): boolean {
  // WHATWG URL has already normalised IPv4 forms such as "127.1" to dotted quads.
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * @param value the URL to check (already defaulted by the caller)
 * @param source where the value came from when it was not the input itself, e.g. "GITHUB_API_URL"
 */
export function parseApiUrl(input: string, value: string, source?: string): string {
  const from = source === undefined ? '' : ` (from ${source})`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(input, `${quote(value)}${from} is not a URL: expected e.g. "https://api.example.com/v1"`)
  }
  if (url.username !== '' || url.password !== '') {
    // Not quoted: the userinfo part is a credential.
    throw new InputError(
      input,
      `must not contain credentials (user:password@host)${from}: the action authenticates with its token inputs`
    )
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    // Only the base is quoted: a query string is where people paste keys.
    throw new InputError(
      input,
      `${quote(base)}${from} must not have a query (?…) or fragment (#…): give only the base URL`
    )
  }
  if (url.protocol === 'http:') {
    if (!isLoopback(url.hostname)) {
      throw new InputError(
        input,
        `${quote(base)}${from} uses plain http: ` +
          'use https (http is allowed only for loopback hosts: localhost, 127.0.0.0/8, [::1])'
      )
    }
  } else if (url.protocol !== 'https:') {
    throw new InputError(
      input,
      `${quote(base)}${from} is not an http(s) URL: expected e.g. "https://api.example.com/v1"`
    )
  }
  return base
}
