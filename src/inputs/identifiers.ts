// PlanetScale names the action puts into API paths: the organization and token IDs.
import { InputError } from '../errors.js'
import { looksLikeToken } from '../redact.js'
import { hasWhitespace, quote } from './text.js'

export function parseOrganization(raw: string): string {
  const value = raw.trim()
  if (value === '') throw new InputError('organization', 'is required: the name of your PlanetScale organization')
  // The name becomes a URL path segment: a space or a slash can only be a mistake.
  if (/[\s/]/.test(value)) {
    throw new InputError(
      'organization',
      `${quote(value)} is not a PlanetScale organization name: it must not contain whitespace or "/"`
    )
  }
  return value
}

/**
 * A service token ID (`service-token-id`, `token-id`). Real IDs are 12 lowercase letters and
 * digits, but older tokens may differ, so only whitespace and pasted secrets are refused.
 */
export function parseTokenId(input: string, raw: string): string {
  const value = raw.trim()
  if (value === '') {
    throw new InputError(input, 'is required: the ID of a PlanetScale service token, e.g. "8x1k2abcd0ef"')
  }
  // Never quoted: this is a secret in the wrong input, and the ID is written to a plain secret name.
  if (looksLikeToken(value)) {
    throw new InputError(
      input,
      'looks like a service token secret, not an ID (the value is not shown): ' +
        'put the token ID here and the secret in "service-token"'
    )
  }
  if (hasWhitespace(value)) {
    throw new InputError(
      input,
      `${quote(value)} contains whitespace: a service token ID is one word, e.g. "8x1k2abcd0ef"`
    )
  }
  return value
}
