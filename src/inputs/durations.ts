// `ttl` and `min-age`: whole numbers with a unit (s, m, h, d) or bare seconds.
import type { Ttl } from './config.js'
import { InputError } from '../errors.js'
import { quote } from './text.js'

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }
/** 10 years; also keeps every later millisecond computation far from Date's range. */
export const MAX_DURATION_SECONDS = 3650 * 86_400

const FORMAT = 'a whole number followed by s, m, h or d (e.g. "90d", "12h", "30m", "45s"), or a number of seconds'

export function parseDuration(input: string, raw: string, extraForms = ''): number {
  const value = raw.trim()
  const match = /^(\d+)([smhd]?)$/.exec(value)
  if (match === null) {
    throw new InputError(input, `${quote(value)} is not a duration: use ${FORMAT}${extraForms}`)
  }
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? 1)
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) {
    throw new InputError(input, `${quote(value)} is too long: at most 10 years ("3650d")`)
  }
  return seconds
}

export function parseTtl(raw: string): Ttl {
  const value = raw.trim()
  if (value === '') return { kind: 'keep' }
  if (value === 'never') return { kind: 'never' }
  const seconds = parseDuration('ttl', value, ', or "never" for no expiry')
  if (seconds === 0) {
    throw new InputError(
      'ttl',
      '"0" would make a token that is already expired: ' +
        'use a positive duration, "never", or leave it empty (rotate keeps the old lifetime)'
    )
  }
  return { kind: 'seconds', seconds }
}

export function parseMinAge(raw: string): number {
  const value = raw.trim()
  return value === '' ? 0 : parseDuration('min-age', value)
}
