// PlanetScale names the action puts into API paths: the organization and token IDs.
import { InputError } from '../errors.js'
import { looksLikeToken } from '../redact.js'
import { pathSegmentProblem } from './path-segment.js'
import { describeCharacter, firstCharacterNot, hasWhitespace, quote } from './text.js'

/**
 * PlanetScale organization names are lowercase slugs ("acme-corp"); upper case, "_" and "." are
 * let through so that no real name is refused, anything else (a look-alike letter included) is not.
 */
const ORGANIZATION_CHARACTER = /^[A-Za-z0-9._-]$/
/** Far above any real name: a longer value is a paste accident. */
const MAX_ORGANIZATION_LENGTH = 100
/** Real IDs are 12 lowercase letters and digits; older tokens may differ, but not beyond these. */
const TOKEN_ID_CHARACTER = /^[A-Za-z0-9._-]$/
const TOKEN_ID_EXAMPLE = 'a service token ID is one word of letters and digits, e.g. "8x1k2abcd0ef"'

export function parseOrganization(raw: string): string {
  const value = raw.trim()
  if (value === '') throw new InputError('organization', 'is required: the name of your PlanetScale organization')
  const fail = (problem: string): never => {
    throw new InputError(
      'organization',
      `${quote(value)} is not a PlanetScale organization name: it ${problem}; use the name in your dashboard's ` +
        'URL (app.planetscale.com/ORGANIZATION), made of ASCII letters, digits, "-", "_" and "."'
    )
  }
  // The name becomes a URL path segment: /organizations/{organization}/service-tokens.
  const segment = pathSegmentProblem(value)
  if (segment !== undefined) fail(segment)
  const bad = firstCharacterNot(value, (character) => ORGANIZATION_CHARACTER.test(character))
  if (bad !== undefined) fail(`has ${describeCharacter(bad.character)} at position ${bad.position}`)
  if (value.length > MAX_ORGANIZATION_LENGTH)
    fail(`is ${value.length} characters long, at most ${MAX_ORGANIZATION_LENGTH}`)
  return value
}

/**
 * A service token ID (`service-token-id`, `token-id`): a path segment of every token request,
 * and the first half of the Authorization header.
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
  // Before the whitespace check, which quotes the value: an ID goes into the Authorization header
  // (ID:TOKEN), where a control character is an injection, so the value is not shown then.
  const segment = pathSegmentProblem(value)
  if (segment !== undefined) throw new InputError(input, `the ID ${segment}: ${TOKEN_ID_EXAMPLE}`)
  // A pasted `ID:SECRET` (the Authorization header's form) would show the secret if quoted.
  if (value.includes(':')) {
    throw new InputError(
      input,
      'contains ":" (the value is not shown): give the token ID alone, and its secret in "service-token"'
    )
  }
  if (hasWhitespace(value)) {
    throw new InputError(
      input,
      `${quote(value)} contains whitespace: a service token ID is one word, e.g. "8x1k2abcd0ef"`
    )
  }
  const bad = firstCharacterNot(value, (character) => TOKEN_ID_CHARACTER.test(character))
  if (bad !== undefined) {
    throw new InputError(
      input,
      `${quote(value)} has ${describeCharacter(bad.character)} at position ${bad.position}: ${TOKEN_ID_EXAMPLE}`
    )
  }
  return value
}
