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

const CHARACTER_KINDS: Record<string, string> = {
  '\n': 'a line break',
  '\r': 'a carriage return',
  '\t': 'a tab',
  ' ': 'a space',
  '\u00a0': 'a no-break space',
  '\u200b': 'a zero-width space',
  '\ufeff': 'a byte order mark'
}

/** C0, DEL and C1 controls. */
export function isControlCharacter(character: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u001f\u007f-\u009f]$/.test(character)
}

/** What kind of character it is, without showing it: for secrets, whose characters are never shown. */
export function characterKind(character: string): string {
  const named = CHARACTER_KINDS[character]
  if (named !== undefined) return named
  if (isControlCharacter(character)) return 'a control character'
  if (/^\s$/.test(character)) return 'a whitespace character'
  if (/^[\ud800-\udfff]$/.test(character)) return 'half of a UTF-16 surrogate pair'
  if (character > '\u007f') return 'a non-ASCII character'
  return 'a character'
}

/**
 * One character of a user value for a message: printable ASCII as itself, anything else as
 * \uXXXX with its kind, so that a look-alike ("\u0430", Cyrillic) or an invisible character
 * shows for what it is.
 */
export function describeCharacter(character: string): string {
  if (/^[\u0021-\u007e]$/.test(character)) return JSON.stringify(character)
  const code = character.codePointAt(0) ?? 0
  const escaped = code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`
  return `"${escaped}" (${characterKind(character)})`
}

/** The first character (by code point, 1-based position) that fails `allowed`, or undefined. */
export function firstCharacterNot(
  value: string,
  allowed: (character: string) => boolean
): { character: string; position: number } | undefined {
  let position = 0
  for (const character of value) {
    position++
    if (!allowed(character)) return { character, position }
  }
  return undefined
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
