// Turning a failed GitHub request into a GitHubTargetError a user can act on. Messages
// carry the step, the target, the HTTP status and GitHub's short `message` field; never
// a request or response body, never a token.
import { GitHubTargetError, RedirectRefusedError } from '../errors.js'
import { certificateAdvice } from '../net/fetch.js'
import { redactUntrusted } from '../redact.js'
import type { TargetSpec } from '../inputs/targets.js'

const NO_GITHUB_TOKEN =
  "The workflow's GITHUB_TOKEN cannot write secrets: use a GitHub App installation token or a fine-grained PAT."

interface Failure {
  /** answered: GitHub gave an HTTP status; network: no answer; other: our own error. */
  kind: 'answered' | 'network' | 'cancelled' | 'other'
  status: number | undefined
  /** GitHub's `message` field when it answered, else the error's own message. */
  message: string
  headers: Record<string, string | undefined>
}

type OctokitError = Error & {
  status?: number
  request?: unknown
  response?: { headers?: Record<string, string | undefined>; data?: unknown }
}

/** Duck-typed: a DOMException or an error from another realm fails `instanceof Error`. */
function isErrorLike(error: unknown): error is Error {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Error).name === 'string' &&
    typeof (error as Error).message === 'string'
  )
}

export const isAbort = (error: unknown): boolean =>
  isErrorLike(error) && (error.name === 'AbortError' || error.name === 'TimeoutError')

function describe(error: unknown): Failure {
  const none = { status: undefined, headers: {} }
  if (!isErrorLike(error)) return { kind: 'other', message: String(error), ...none }
  // Octokit rethrows an AbortError as is, and wraps a TimeoutError as a network error.
  if (isAbort(error) || isAbort(error.cause)) return { kind: 'cancelled', message: error.message, ...none }
  const { status, request, response } = error as OctokitError
  if (response !== undefined && typeof status === 'number') {
    const data = response.data
    const message =
      typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : ''
    return { kind: 'answered', status, message, headers: response.headers ?? {} }
  }
  // Octokit's RequestError for a failed fetch carries the request but no response.
  return { kind: request === undefined ? 'other' : 'network', message: error.message, ...none }
}

/** `message` is GitHub's text or a network error's: keep it short and strip anything token-like. */
function sanitize(message: string): string {
  const oneLine = redactUntrusted(message).replace(/\s+/g, ' ').trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200).trimEnd()}…` : oneLine
}

/** The HTTP status GitHub answered with; undefined when it did not answer. */
export function httpStatus(error: unknown): number | undefined {
  return describe(error).status
}

/** A failure in a few words for a note, e.g. `HTTP 500 "Server Error"` or `no answer (socket hang up)`. */
export function briefFailure(error: unknown): string {
  const failure = describe(error)
  const detail = sanitize(failure.message)
  switch (failure.kind) {
    case 'answered':
      return `HTTP ${failure.status}${detail ? ` "${detail}"` : ''}`
    case 'network':
      return `GitHub did not answer (${detail})`
    default:
      return detail
  }
}

/** GitHub's 422 for a value sealed with a key it no longer accepts. */
export function isImproperlyEncrypted(error: unknown): boolean {
  const failure = describe(error)
  return failure.status === 422 && /improperly encrypted/i.test(failure.message)
}

/** The permission a token needs to write this kind of target. */
export function permissionAdvice(spec: TargetSpec): string {
  switch (spec.kind) {
    case 'repo':
      return (
        'repository permission "Secrets: write" ' +
        '(actions/create-github-app-token: permission-secrets: write; classic PAT: repo)'
      )
    case 'environment':
      return (
        'repository permissions "Environments: write" and "Secrets: write" ' +
        '(actions/create-github-app-token: permission-environments: write and permission-secrets: write; ' +
        'classic PAT: repo)'
      )
    case 'dependabot':
      return (
        'repository permission "Dependabot secrets: write" ' +
        '(actions/create-github-app-token: permission-dependabot-secrets: write; classic PAT: repo)'
      )
    case 'org':
      return (
        'organization permission "Secrets: write" ' +
        '(actions/create-github-app-token: permission-organization-secrets: write; classic PAT: admin:org)'
      )
    case 'dependabot-org':
      return (
        'organization permission "Dependabot secrets: write" ' +
        '(actions/create-github-app-token has no permission-* input for it: leave those inputs out, so that the ' +
        "token gets the App's permissions; classic PAT: admin:org)"
      )
  }
}

function notFoundAdvice(spec: TargetSpec, step: string): string {
  const hidden = '(GitHub answers 404 for both)'
  const resolving = /^resolve repository (.+)$/.exec(step)
  if (resolving) {
    return (
      `Repository ${resolving[1]} does not exist or the github-token cannot see it ${hidden}: ` +
      'check the name in "repositories=" and that the token has access to it.'
    )
  }
  switch (spec.kind) {
    case 'repo':
      return (
        `Repository ${spec.owner}/${spec.repo} does not exist or the github-token cannot see it ${hidden}: ` +
        'check the name and that the token (or GitHub App installation) has access to it.'
      )
    case 'dependabot':
      return (
        `Repository ${spec.owner}/${spec.repo} does not exist or the github-token cannot see it ${hidden}: ` +
        'check the name and that the token (or GitHub App installation) has access to it. ' +
        `${NO_DEPENDABOT_HINT}`
      )
    case 'environment':
      return (
        `Repository ${spec.owner}/${spec.repo} or its environment "${spec.environment}" does not exist, ` +
        `or the github-token cannot see it ${hidden}: ` +
        "create the environment in the repository's Settings → Environments " +
        'and check that the token has access to the repository.'
      )
    case 'org':
    case 'dependabot-org':
      return (
        `Organization ${spec.org} does not exist or the github-token cannot see it ${hidden}: ` +
        'check the name and that the token (or GitHub App installation) has access to the organization.' +
        (spec.kind === 'dependabot-org' ? ` ${NO_DEPENDABOT_HINT}` : '')
      )
  }
}

const NO_DEPENDABOT_HINT =
  'On a GitHub Enterprise Server without Dependabot, GitHub answers 404 here too: then remove the target.'

/**
 * The 404 a Dependabot public key answers on a server without Dependabot, once the same repository's
 * (or organization's) Actions secrets have proven readable: the place exists, its Dependabot secrets do not.
 */
export function dependabotUnavailable(error: unknown, spec: TargetSpec): GitHubTargetError {
  const step = 'read public key'
  const [place, name] =
    spec.kind === 'repo' || spec.kind === 'environment' || spec.kind === 'dependabot'
      ? ['repository', `${spec.owner}/${spec.repo}`]
      : ['organization', spec.org]
  const detail = sanitize(describe(error).message)
  return new GitHubTargetError(
    `${spec.label}: ${step} failed (HTTP 404${detail ? ` "${detail}"` : ''}). Dependabot secrets are not ` +
      `available for ${place} ${name} on this GitHub server: the github-token can see the ${place}, but its ` +
      'Dependabot secrets answer 404, as on a GitHub Enterprise Server without Dependabot. ' +
      `Remove the ${spec.label} line from \`targets\` (or ask the server's administrators to enable Dependabot).`,
    spec.label,
    step,
    404
  )
}

function rateLimitDetail(headers: Record<string, string | undefined>): string | undefined {
  const retryAfter = headers['retry-after']
  if (retryAfter !== undefined) return `GitHub asked to wait ${retryAfter}s`
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset'])
    return Number.isFinite(reset) && reset > 0
      ? `the rate limit resets at ${new Date(reset * 1000).toISOString()}`
      : 'the rate limit is exhausted'
  }
  return undefined
}

function advice(
  spec: TargetSpec,
  step: string,
  status: number,
  message: string,
  headers: Record<string, string | undefined>
): string {
  if (status === 403 || status === 429) {
    const wait = rateLimitDetail(headers)
    if (wait !== undefined || status === 429 || /rate limit/i.test(message)) {
      return (
        `GitHub rate limit: ${wait ?? 'no wait given'}, more than the action waits for; ` +
        're-run later, or write fewer targets per run.'
      )
    }
    return `The github-token lacks the permission to do this: it needs ${permissionAdvice(spec)}. ${NO_GITHUB_TOKEN}`
  }
  switch (status) {
    case 401:
      return (
        'The github-token is invalid or expired: pass a valid token ' +
        '(a GitHub App installation token expires after one hour; create it in the same job).'
      )
    case 404:
      return notFoundAdvice(spec, step)
    case 422:
      return /improperly encrypted/i.test(message)
        ? 'GitHub could not decrypt the sealed value even after the public key was read again: ' +
            'the key changed during the run or the API is not GitHub-compatible; re-run the action.'
        : 'GitHub rejected the request as invalid (validation failed): ' +
            'check the secret name (letters, digits and _, not starting with a digit or GITHUB_) and, ' +
            'for organization targets, the visibility and repositories.'
    default:
      return status >= 500
        ? 'GitHub had a server error and retries did not help; re-run later.'
        : 'Unexpected answer from GitHub; re-run, and report it if it persists.'
  }
}

/**
 * Map a failure of `step` (e.g. "read public key", "write secret NAME") on `spec` to a
 * GitHubTargetError. An error that already is one is returned unchanged.
 */
export function toTargetError(error: unknown, spec: TargetSpec, step: string): GitHubTargetError {
  if (error instanceof GitHubTargetError) return error
  // Its message is ours and names where the redirect pointed: kept whole.
  if (error instanceof RedirectRefusedError) {
    return new GitHubTargetError(
      `${spec.label}: ${step} failed: ${error.message}`,
      spec.label,
      step,
      error.redirectStatus
    )
  }
  const failure = describe(error)
  const prefix = `${spec.label}: ${step} failed`
  const detail = sanitize(failure.message)
  const fail = (message: string) => new GitHubTargetError(message, spec.label, step, failure.status)
  switch (failure.kind) {
    case 'cancelled':
      return fail(
        `${prefix}: cancelled (${detail}) before GitHub confirmed; the secret may or may not have been written.`
      )
    case 'network':
      return fail(
        `${prefix}: GitHub did not answer (${detail}). Check github-api-url and the network, then re-run.` +
          certificateAdvice(detail)
      )
    case 'other':
      return fail(`${prefix}: ${detail}`)
    case 'answered':
      return fail(
        `${prefix} (HTTP ${failure.status}${detail ? ` "${detail}"` : ''}). ` +
          advice(spec, step, failure.status ?? 0, detail, failure.headers)
      )
  }
}
