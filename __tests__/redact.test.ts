// Redaction: by value for every secret the run knows, by shape for text the run did not write.
import { describe, expect, test } from '@jest/globals'
import {
  MIN_REDACTED_LENGTH,
  REDACTED,
  createRedactor,
  looksLikeToken,
  redactKnownTokens,
  redactUntrusted
} from '../src/redact.js'

const PSCALE = 'pscale_tkn_3Fq9xZ1bL7mK2pW8vR4tY6nC0dH5jS'
/** A secret without a known prefix: only registering it gets it redacted. */
const PLAIN = 'Zx81-correct_horse.battery+staple'

describe('createRedactor', () => {
  test('replaces every registered secret wherever it appears, with or without a known prefix', () => {
    const redactor = createRedactor()
    redactor.add(PSCALE)
    redactor.add(PLAIN)
    const text = `a=${PSCALE} b="${PLAIN}", again ${PLAIN}${PLAIN} and inside x${PLAIN}y`
    expect(redactor.redact(text)).toBe(
      `a=${REDACTED} b="${REDACTED}", again ${REDACTED}${REDACTED} and inside x${REDACTED}y`
    )
    expect(redactor.redact('nothing secret here')).toBe('nothing secret here')
  })

  test('without registering, only the known token shape is caught', () => {
    expect(createRedactor().redact(`${PSCALE} ${PLAIN}`)).toBe(`${REDACTED} ${PLAIN}`)
  })

  test.each([
    ['short first', ['abcdef123', 'xx-abcdef123-yy']],
    ['long first', ['xx-abcdef123-yy', 'abcdef123']]
  ])('a secret that contains another is replaced whole (%s)', (_order, secrets) => {
    const redactor = createRedactor()
    for (const secret of secrets) redactor.add(secret)
    expect(redactor.redact('[xx-abcdef123-yy] [abcdef123]')).toBe(`[${REDACTED}] [${REDACTED}]`)
  })

  test(`values shorter than MIN_REDACTED_LENGTH (${MIN_REDACTED_LENGTH}) are ignored`, () => {
    const short = 'k'.repeat(MIN_REDACTED_LENGTH - 1)
    const enough = 'q'.repeat(MIN_REDACTED_LENGTH)
    const redactor = createRedactor()
    redactor.add(short)
    redactor.add(enough)
    redactor.add('')
    expect(redactor.redact(`${short} ${enough}`)).toBe(`${short} ${REDACTED}`)
  })

  test('a secret added after a redaction applies to later text; adding twice is harmless', () => {
    const redactor = createRedactor()
    expect(redactor.redact(PLAIN)).toBe(PLAIN)
    redactor.add(PLAIN)
    redactor.add(PLAIN)
    expect(redactor.redact(`<${PLAIN}>`)).toBe(`<${REDACTED}>`)
  })
})

describe('redactKnownTokens', () => {
  test.each([
    'pscale_tkn_abcDEF123_xyz',
    'pscale_oauth_abcDEF123',
    'pscale_rt_abcDEF123',
    'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
    'gho_16C7e42F292c6912E7710c838347Ae178B4a',
    'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
    'ghu_16C7e42F292c6912E7710c838347Ae178B4a',
    'ghr_16C7e42F292c6912E7710c838347Ae178B4a',
    'github_pat_11ABCDEFG0_abcdefghijklmnopqrstuvwxyz'
  ])('%s', (token) => {
    expect(redactKnownTokens(`token ${token}, then more`)).toBe(`token ${REDACTED}, then more`)
    expect(looksLikeToken(token)).toBe(true)
  })

  test('ordinary text, IDs and secret names are kept', () => {
    const text = 'Created token oldid000001 (github-actions/acme/api); wrote PLANETSCALE_SERVICE_TOKEN to repo:acme/api'
    expect(redactKnownTokens(text)).toBe(text)
    expect(looksLikeToken(text)).toBe(false)
    expect(looksLikeToken(PLAIN)).toBe(false)
  })
})

describe('redactUntrusted', () => {
  test('removes known token shapes and long opaque runs (32+ characters), keeps ordinary words', () => {
    const opaque = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'
    const text = `Bad credentials: ${opaque} (ghp_abc) for Resource not accessible by integration`
    expect(redactUntrusted(text)).toBe(
      `Bad credentials: ${REDACTED} (${REDACTED}) for Resource not accessible by integration`
    )
  })

  test('a run of 31 characters is kept, 32 is not', () => {
    expect(redactUntrusted(`x ${'a'.repeat(31)} y`)).toBe(`x ${'a'.repeat(31)} y`)
    expect(redactUntrusted(`x ${'a'.repeat(32)} y`)).toBe(`x ${REDACTED} y`)
    expect(redactUntrusted(`key: ${'Ab+/'.repeat(10)}==`)).toBe(`key: ${REDACTED}`)
  })

  test('a message of ordinary length words is unchanged', () => {
    const text =
      'HTTP 422 "Validation Failed": visibility must be one of all, private, selected (PLANETSCALE_SERVICE_TOKEN_ID)'
    expect(redactUntrusted(text)).toBe(text)
  })
})
