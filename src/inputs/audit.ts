// `audit`'s inputs: `max-age`, `unused-for`, `fail-on`, `delete-unused` and `ignore`.
import { AUDIT_RULES, type AuditRule } from '../audit/rules.js'
import { InputError } from '../errors.js'
import { ROTATE_AFTER_DAYS } from '../report/summaries.js'
import { parseBoolean } from './booleans.js'
import type { Command } from './config.js'
import { parseDuration } from './durations.js'
import { contentLines, quote } from './text.js'
import { MAX_TOKEN_NAME_LENGTH } from './token-name.js'

export interface AuditConfig {
  /** `stale`: older than this. */
  maxAgeSeconds: number
  /** `unused`: not used for this long; delete-unused deletes only tokens idle this long. */
  unusedForSeconds: number
  /** The rules whose findings fail the step; empty: report only. */
  failOn: AuditRule[]
  deleteUnused: boolean
  /** Token IDs and name patterns (`*` for any characters): neither reported nor deleted. */
  ignore: string[]
}

export const DEFAULT_MAX_AGE = `${ROTATE_AFTER_DAYS}d`
export const DEFAULT_UNUSED_FOR = '30d'
/** Below a day, "unused" would catch the tokens of daily jobs, and delete-unused would delete them. */
const MIN_AUDIT_DURATION_SECONDS = 86_400

/** Inputs that make no sense without `command: audit`: given with another command, they are refused. */
const AUDIT_ONLY = ['fail-on', 'delete-unused', 'ignore'] as const

export function parseAudit(command: Command, read: (name: string) => string): AuditConfig | undefined {
  if (command !== 'audit') {
    const given = AUDIT_ONLY.find((name) => {
      const value = read(name).trim()
      return name === 'delete-unused' ? parseBoolean(name, value, false) : value !== ''
    })
    if (given !== undefined) {
      throw new InputError(given, `is only used by command "audit" (this step runs "${command}"): add command: audit`)
    }
    return undefined
  }
  return {
    maxAgeSeconds: parseAuditDuration('max-age', read('max-age'), DEFAULT_MAX_AGE),
    unusedForSeconds: parseAuditDuration('unused-for', read('unused-for'), DEFAULT_UNUSED_FOR),
    failOn: parseFailOn(read('fail-on')),
    deleteUnused: parseBoolean('delete-unused', read('delete-unused'), false),
    ignore: parseIgnore(read('ignore'))
  }
}

function parseAuditDuration(input: string, raw: string, fallback: string): number {
  const value = raw.trim() || fallback
  const seconds = parseDuration(input, value)
  if (seconds < MIN_AUDIT_DURATION_SECONDS) {
    throw new InputError(input, `${quote(value)} is less than a day: use at least "1d" (default "${fallback}")`)
  }
  return seconds
}

/** Rule names separated by commas, spaces or lines; `all` for every rule. */
export function parseFailOn(raw: string): AuditRule[] {
  const names = raw
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.includes('all')) return [...AUDIT_RULES]
  const rules = new Set<AuditRule>()
  for (const name of names) {
    const rule = AUDIT_RULES.find((candidate) => candidate === name)
    if (rule === undefined) {
      throw new InputError(
        'fail-on',
        `unknown rule ${quote(name)}: use any of ${AUDIT_RULES.join(', ')} (comma-separated), or "all"`
      )
    }
    rules.add(rule)
  }
  return AUDIT_RULES.filter((rule) => rules.has(rule))
}

/** One token ID or name pattern a line; blank lines and `#` comments are ignored. */
export function parseIgnore(raw: string): string[] {
  return contentLines(raw).map(({ number, text }) => {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(text)) {
      throw new InputError('ignore', `line ${number}: ${quote(text)} holds a control character`)
    }
    if (text.length > MAX_TOKEN_NAME_LENGTH) {
      throw new InputError('ignore', `line ${number} is longer than a token name can be (${MAX_TOKEN_NAME_LENGTH})`)
    }
    if (/^\*+$/.test(text)) {
      throw new InputError(
        'ignore',
        `line ${number}: ${quote(text)} matches every token, so the audit would check nothing: ` +
          'name the tokens to leave alone, e.g. "legacy-*"'
      )
    }
    return text
  })
}
