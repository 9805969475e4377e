// A token value must never reach an error message, whichever input it was put in.
import { describe, expect, test } from '@jest/globals'
import { quote } from '../../src/inputs/text.js'
import { GITHUB_TOKEN, inputError, parse, SERVICE_TOKEN } from './helpers.js'

describe('secret inputs are never echoed', () => {
  test.each([
    ['service-token', `${SERVICE_TOKEN} trailing`],
    ['service-token', `pscale_tkn_first\u00a0pscale_tkn_second`],
    ['github-token', `${GITHUB_TOKEN} extra`],
    ['github-token', 'hunter2 correcthorsebattery']
  ])('%s with whitespace inside: %#', (input, raw) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain('contains whitespace')
    for (const word of raw.split(/\s+/)) expect(error.message).not.toContain(word)
  })

  test.each(['service-token-id', 'token-id'])('a secret pasted into %s is refused without echoing it', (input) => {
    const error = inputError(() => parse({ [input]: SERVICE_TOKEN }))
    expect(error.input).toBe(input)
    expect(error.message).toContain('looks like a service token secret')
    expect(error.message).not.toContain(SERVICE_TOKEN)
    expect(error.message).not.toContain('Abc123SECRETvalue')
  })

  test.each([
    ['organization', `acme ${SERVICE_TOKEN}`],
    ['targets', `repo:acme/${SERVICE_TOKEN}x!`],
    ['accesses', `database=app ${GITHUB_TOKEN}`],
    ['token-name', `{oops} ${SERVICE_TOKEN}`],
    ['id-secret-name', `${GITHUB_TOKEN}-x`],
    ['command', 'github_pat_11ABCDEF_secretsecret'],
    ['journal', `org:acme ${SERVICE_TOKEN}`],
    ['journal', `repo:acme/api name=${GITHUB_TOKEN}-x`],
    ['delete-previous', SERVICE_TOKEN]
  ])('a token pasted into %s is redacted from the quoted value', (input, raw) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain('[redacted]')
    expect(error.message).not.toMatch(/pscale_tkn_|ghs_|github_pat_/)
  })
})

describe('quote', () => {
  test.each([
    ['plain', '"plain"'],
    ['tab\there', '"tab\\there"'],
    [`x${'y'.repeat(120)}`, `"x${'y'.repeat(99)}…"`],
    ['pre pscale_tkn_abc post', '"pre [redacted] post"'],
    ['gho_abc ghu_def ghr_ghi ghp_jkl', '"[redacted] [redacted] [redacted] [redacted]"']
  ])('%j → %s', (value, expected) => {
    expect(quote(value)).toBe(expected)
  })

  test('a token is redacted before long values are cut, so no fragment survives', () => {
    const value = `${'a'.repeat(95)} pscale_tkn_${'S'.repeat(40)}`
    expect(quote(value)).not.toContain('pscale_tkn')
    expect(quote(value)).not.toContain('SSS')
  })
})
