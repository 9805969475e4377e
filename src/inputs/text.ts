// Helpers shared by the input parsers: quoting user values into messages, and the
// line grammar (blank lines and `#` comments) that `targets` and `accesses` share.

import { redactKnownTokens } from '../redact.js'

const MAX_QUOTED_LENGTH = 100

/**
 * A user value for an error message: token shapes redacted (a pasted secret must not ride
 * along, even in an input not meant to hold one), long values cut, control characters escaped.
 */
export function quote(value: string): string {
  const redacted = redactKnownTokens(value)
  const shown = redacted.length > MAX_QUOTED_LENGTH ? `${redacted.slice(0, MAX_QUOTED_LENGTH)}…` : redacted
  return JSON.stringify(shown)
}

export function hasWhitespace(value: string): boolean {
  return /\s/.test(value)
}

export interface ContentLine {
  /** 1-based, counting blank and comment lines, so messages point at the user's line. */
  number: number
  text: string
}

/** Non-blank lines with `#` comments removed: a whole-line `#`, or ` #` after content. */
export function contentLines(raw: string): ContentLine[] {
  const lines: ContentLine[] = []
  raw.split(/\r?\n/).forEach((line, index) => {
    const text = line.replace(/(?:^|\s)#.*$/, '').trim()
    if (text !== '') lines.push({ number: index + 1, text })
  })
  return lines
}
