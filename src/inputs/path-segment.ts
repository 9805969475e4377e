// The one check for a name the action puts into an API URL as a path segment: organization,
// token IDs, environments (GitHub owner, repository and variable names have charsets that leave at
// most "." and ".." to refuse, with isDotSegment). The clients encode each segment, but encoding
// cannot save some names, and others can only be a mistake; refusing them here names the input
// before any request is sent.
import { describeCharacter, firstCharacterNot, isControlCharacter } from './text.js'

/**
 * "." and "..": URL parsing resolves them (even percent-encoded) as steps, so a request for
 * `/repos/o/r/environments/../secrets` reaches the repository's secrets instead.
 */
export function isDotSegment(value: string): boolean {
  return value === '.' || value === '..'
}

const WHY: Record<string, string> = {
  '/': 'separates URL path segments',
  '\\': 'separates URL path segments',
  '?': 'starts a URL query',
  '#': 'starts a URL fragment',
  '%': 'starts a URL escape: give the name itself, not URL-encoded'
}

/** Characters the client encodes and a free-form name may hold; "%" is not one: see WHY. */
const ENCODED_IN_FREE_FORM = new Set(['/', '\\', '?', '#'])

/**
 * Why `value` cannot be one path segment, as a clause to follow the quoted value
 * (e.g. `has "?" at position 5, which starts a URL query`), or undefined.
 * @param freeForm for environment names, which GitHub lets hold "/" and other punctuation: the
 *   client encodes "/", "\", "?" and "#" (`a/b` → `a%2Fb`), so only what encoding cannot fix
 *   (".", "..", control characters) and an already encoded name ("%") are refused
 */
export function pathSegmentProblem(value: string, freeForm = false): string | undefined {
  if (value === '') return 'is empty'
  if (isDotSegment(value)) {
    return `is a path step ("${value}" in a URL means ${value === '.' ? 'here' : 'up one level'}), not a name`
  }
  const bad = firstCharacterNot(value, (character) => {
    if (freeForm && ENCODED_IN_FREE_FORM.has(character)) return true
    // A lone surrogate makes encodeURIComponent throw, at request time.
    return !Object.hasOwn(WHY, character) && !isControlCharacter(character) && !/^[\ud800-\udfff]$/.test(character)
  })
  if (bad === undefined) return undefined
  const why = WHY[bad.character] ?? 'cannot be part of a name'
  return `has ${describeCharacter(bad.character)} at position ${bad.position}, which ${why}`
}
