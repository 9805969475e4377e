// `ttl`, `min-age` and `delete-previous`'s grace: whole numbers with a unit (s, m, h, d) or bare seconds.
import type { Ttl } from './config.js'
import { InputError } from '../errors.js'
import { quote } from './text.js'

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }
/** 10 years; also keeps every later millisecond computation far from Date's range. */
export const MAX_DURATION_SECONDS = 3650 * 86_400

const FORMAT = 'a whole number followed by s, m, h or d (e.g. "90d", "12h", "30m", "45s"), or a number of seconds'

const DURATION = /^(\d+)([smhd]?)$/
/** The shortest ttl `rotate` and `create` accept: see checkTtlFloor. */
export const MIN_TTL_SECONDS = 3600

/** Whether a trimmed value has the shape of a duration (it may still be too long). */
export function isDuration(value: string): boolean {
  return DURATION.test(value)
}

export function parseDuration(input: string, raw: string, extraForms = ''): number {
  const value = raw.trim()
  const match = DURATION.exec(value)
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

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/**
 * `rotate` and `create` write the token where pipelines read it, and nothing renews it before the
 * next scheduled rotation: a ttl in minutes (often a number meant as days) locks them all out.
 */
export function checkTtlFloor(ttl: Ttl, raw: string): void {
  if (ttl.kind !== 'seconds' || ttl.seconds >= MIN_TTL_SECONDS) return
  const value = raw.trim()
  // Said in the unit the user wrote: "90" is 90 seconds, "30m" is 30 minutes.
  const length = value.endsWith('m') ? plural(ttl.seconds / 60, 'minute') : plural(ttl.seconds, 'second')
  // A small bare number was most likely meant as days: suggest exactly that.
  const days = /^\d+$/.test(value) && ttl.seconds <= 365 ? ttl.seconds : 90
  throw new InputError(
    'ttl',
    `${quote(value)} is ${length}: a token that short would lock every pipeline out when it expires; ` +
      `use at least 1h (e.g. "${days}d" for ${plural(days, 'day')})`
  )
}

/** `job-token`'s lifetime: 1 hour by default, from 5 minutes to 7 days. */
export const JOB_TOKEN_TTL = { defaultSeconds: 3600, minSeconds: 300, maxSeconds: 7 * 86_400 } as const

export function parseJobTokenTtl(raw: string): Ttl {
  const value = raw.trim()
  if (value === '') return { kind: 'seconds', seconds: JOB_TOKEN_TTL.defaultSeconds }
  const seconds = parseDuration('ttl', value)
  if (seconds < JOB_TOKEN_TTL.minSeconds || seconds > JOB_TOKEN_TTL.maxSeconds) {
    throw new InputError(
      'ttl',
      `${quote(value)}: a job token lives from 5 minutes ("5m") to 7 days ("7d"); the default is "1h"`
    )
  }
  return { kind: 'seconds', seconds }
}
