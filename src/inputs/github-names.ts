// GitHub's charsets for account and repository names. Each returns a problem, or undefined.
import { isDotSegment, pathSegmentProblem } from './path-segment.js'
import { describeCharacter, firstCharacterNot, quote } from './text.js'

const OWNER = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/
const MAX_OWNER_LENGTH = 39
const REPO = /^[A-Za-z0-9._-]+$/
const MAX_REPO_LENGTH = 100
const NAME_CHARACTER = /^[A-Za-z0-9._-]$/

/** "; position 3 is "\u0430" (a non-ASCII character)" when a character is outside both charsets, else "". */
function wrongCharacter(name: string): string {
  const bad = firstCharacterNot(name, (character) => NAME_CHARACTER.test(character))
  return bad === undefined ? '' : `; position ${bad.position} is ${describeCharacter(bad.character)}`
}

/** @param what how the name is called in the message: "owner" or "organization" */
export function ownerProblem(name: string, what: string): string | undefined {
  if (name === '') return `missing ${what}`
  if (!OWNER.test(name) || name.length > MAX_OWNER_LENGTH) {
    return (
      `${what} ${quote(name)} is not a GitHub account name ` +
      `(letters, digits and single hyphens, not at either end, at most ${MAX_OWNER_LENGTH})` +
      wrongCharacter(name)
    )
  }
  return undefined
}

export function repoProblem(name: string): string | undefined {
  if (name === '') return 'missing repository name'
  if (!REPO.test(name) || isDotSegment(name) || name.length > MAX_REPO_LENGTH) {
    return (
      `repository ${quote(name)} is not a GitHub repository name ` +
      `(letters, digits, ".", "-" and "_", not "." or "..", at most ${MAX_REPO_LENGTH})` +
      wrongCharacter(name)
    )
  }
  return undefined
}

const MAX_ENVIRONMENT_LENGTH = 255

/**
 * Environments allow "/" and spaces, and GitHub documents no charset: Octokit encodes the name,
 * so only what encoding cannot fix ("..", control characters) or a pre-encoded name is refused.
 */
export function environmentProblem(name: string): string | undefined {
  if (name === '') return 'missing environment name'
  if (name.length > MAX_ENVIRONMENT_LENGTH) return `environment name longer than ${MAX_ENVIRONMENT_LENGTH} characters`
  const problem = pathSegmentProblem(name, true)
  return problem === undefined ? undefined : `environment name ${quote(name)} ${problem}`
}
