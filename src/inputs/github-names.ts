// GitHub's charsets for account and repository names. Each returns a problem, or undefined.
import { quote } from './text.js'

const OWNER = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/
const MAX_OWNER_LENGTH = 39
const REPO = /^[A-Za-z0-9._-]+$/
const MAX_REPO_LENGTH = 100

/** @param what how the name is called in the message: "owner" or "organization" */
export function ownerProblem(name: string, what: string): string | undefined {
  if (name === '') return `missing ${what}`
  if (!OWNER.test(name) || name.length > MAX_OWNER_LENGTH) {
    return (
      `${what} ${quote(name)} is not a GitHub account name ` +
      `(letters, digits and single hyphens, not at either end, at most ${MAX_OWNER_LENGTH})`
    )
  }
  return undefined
}

export function repoProblem(name: string): string | undefined {
  if (name === '') return 'missing repository name'
  if (!REPO.test(name) || name === '.' || name === '..' || name.length > MAX_REPO_LENGTH) {
    return (
      `repository ${quote(name)} is not a GitHub repository name ` +
      `(letters, digits, ".", "-" and "_", at most ${MAX_REPO_LENGTH})`
    )
  }
  return undefined
}

const MAX_ENVIRONMENT_LENGTH = 255

/** Environments allow "/" and spaces, so only emptiness and length are checked. */
export function environmentProblem(name: string): string | undefined {
  if (name === '') return 'missing environment name'
  if (name.length > MAX_ENVIRONMENT_LENGTH) return `environment name longer than ${MAX_ENVIRONMENT_LENGTH} characters`
  return undefined
}
