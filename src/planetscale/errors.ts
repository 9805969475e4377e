// Turns a failed PlanetScale request into a PlanetScaleError that tells the user what to fix
// (PlanetScale's documented error statuses). Bodies never reach a message:
// only PlanetScale's error `code` and its short `message` field do.
import { PlanetScaleError } from '../errors.js'
import { redactUntrusted } from '../redact.js'
import type { HttpOutcome } from './http.js'

/** What a request was for, in the user's terms. */
export interface Operation {
  /** e.g. 'create token', 'read token 8x1k2abcd0ef'. */
  step: string
  organization: string
  /** Accesses the step needs; named on 403 and 404. */
  needs: readonly string[]
  /** What a 404 may mean is missing, e.g. 'token "8x1k2abcd0ef"'. */
  subject: string
  /** Advice on a 422, e.g. 'check ttl'. */
  onRejected?: string
  /** Advice when a request that was not retried may have taken effect anyway. */
  onUncertain?: string
}

/** Result of `GET /organizations` with the same credentials, used to explain a 404. */
export type CredentialsProbe = { ok: true; organizations: string[] } | { ok: false; error: PlanetScaleError }

export const CREDENTIALS_ADVICE =
  'Check both service-token-id and service-token, and that the service token still exists and has not expired.'

const MESSAGE_LIMIT = 200

const ADD_ACCESS = "add it to the token in PlanetScale (the organization's Settings → Service tokens)"

interface ErrorBody {
  code?: string
  message?: string
}

/** PlanetScale's `{code, message}`; anything else in the body is ignored. */
export function readErrorBody(body: unknown): ErrorBody {
  if (typeof body !== 'object' || body === null) return {}
  const { code, message } = body as { code?: unknown; message?: unknown }
  const result: ErrorBody = {}
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) result.code = code
  if (typeof message === 'string') {
    const clean = redactUntrusted(message)
      // One line: a newline could start a workflow command in the runner's log.
      .replace(/\p{Cc}+/gu, ' ')
      .trim()
    if (clean !== '') result.message = clean.length > MESSAGE_LIMIT ? `${clean.slice(0, MESSAGE_LIMIT)}…` : clean
  }
  return result
}

function headline(op: Operation, outcome: HttpOutcome): string {
  const where = `PlanetScale ${op.step} in organization "${op.organization}" failed`
  if (outcome.kind === 'no-response') return `${where}: ${outcome.reason} (${attempts(outcome.attempts)}).`
  const { code, message } = readErrorBody(outcome.body)
  const detail = [code, message === undefined ? undefined : `"${message}"`].filter((part) => part !== undefined)
  return `${where}: HTTP ${outcome.status}${detail.length > 0 ? ` (${detail.join(': ')})` : ''}.`
}

function attempts(count: number): string {
  return count === 1 ? '1 attempt' : `${count} attempts`
}

function codeOf(outcome: HttpOutcome): string | undefined {
  return outcome.kind === 'response' ? readErrorBody(outcome.body).code : undefined
}

function statusOf(outcome: HttpOutcome): number | undefined {
  return outcome.kind === 'response' ? outcome.status : undefined
}

function build(op: Operation, outcome: HttpOutcome, advice: string, uncertain = outcome.uncertain): PlanetScaleError {
  const extra = uncertain && op.onUncertain !== undefined ? ` ${op.onUncertain}` : ''
  return new PlanetScaleError(`${headline(op, outcome)} ${advice}${extra}`, op.step, statusOf(outcome), codeOf(outcome))
}

function accessList(needs: readonly string[]): string {
  return needs.join(', ')
}

/** Any failure but a 404 that needs a credentials check (see notFoundError). */
export function failureError(op: Operation, outcome: HttpOutcome): PlanetScaleError {
  if (outcome.kind === 'no-response') {
    return build(op, outcome, 'PlanetScale did not answer: try again later, and check planetscale-api-url.')
  }
  const status = outcome.status
  let advice: string
  if (status === 401 || status === 404) {
    // A 404 only lands here for `GET /organizations` itself, where it means bad credentials.
    advice = `The credentials were refused. ${CREDENTIALS_ADVICE}`
  } else if (status === 403) {
    advice =
      op.needs.length > 0
        ? `The service token lacks an access this step needs: ${accessList(op.needs)}. If it lacks one, ${ADD_ACCESS}.`
        : 'The service token was refused: ' +
          'check that service-token-id and service-token name a PlanetScale service token that is still active.'
  } else if (status === 422) {
    advice = `PlanetScale rejected the request: ${op.onRejected ?? 'check the values the action was given'}.`
  } else if (status === 429) {
    advice = `Rate limited by PlanetScale after ${attempts(outcome.attempts)}: try again later.`
  } else if (status >= 500 && status <= 599) {
    advice = `PlanetScale is unavailable after ${attempts(outcome.attempts)}: try again later.`
  } else if (status >= 300 && status <= 399) {
    advice =
      'PlanetScale answered with a redirect, which the action does not follow ' +
      'so that the credentials go nowhere else: check planetscale-api-url.'
  } else {
    advice = 'PlanetScale rejected the request.'
  }
  return build(op, outcome, advice)
}

/**
 * PlanetScale answers 404 for a missing resource, a missing access and bad credentials
 * alike. Like the pscale CLI, tell them apart with `GET /organizations` on the same credentials.
 */
export function notFoundError(op: Operation, outcome: HttpOutcome, probe: CredentialsProbe): PlanetScaleError {
  if (!probe.ok) {
    const probeStatus = probe.error.status
    if (probeStatus === 401 || probeStatus === 403 || probeStatus === 404) {
      return build(
        op,
        outcome,
        `Listing organizations with the same credentials failed too (HTTP ${probeStatus}): ` +
          `the credentials are the problem. ${CREDENTIALS_ADVICE}`
      )
    }
    const why = probeStatus === undefined ? 'no answer' : `HTTP ${probeStatus}`
    return build(
      op,
      outcome,
      `Whether the credentials are the cause could not be checked (listing organizations failed: ${why}): ` +
        'try again later.'
    )
  }
  if (probe.organizations.length > 0 && !probe.organizations.includes(op.organization)) {
    const visible = probe.organizations.map((name) => `"${name}"`).join(', ')
    return build(
      op,
      outcome,
      `The credentials work, but organization "${op.organization}" is not among those they can see ` +
        `(${visible}): check organization.`
    )
  }
  const needs = op.needs.length > 0 ? `, or the service token lacks ${accessList(op.needs)}` : ''
  const fix =
    op.needs.length > 0
      ? ` Check the name and ID, and the token's accesses in PlanetScale (Settings → Service tokens).`
      : ''
  return build(op, outcome, `Either ${op.subject} was not found${needs} (PlanetScale answers 404 for both).${fix}`)
}

/** A delete answered 404, yet the token can still be read: PlanetScale's way of saying an access is missing. */
export function notDeletedError(op: Operation, outcome: HttpOutcome): PlanetScaleError {
  return build(
    op,
    outcome,
    `The token still exists, so the service token lacks ${accessList(op.needs)} ` +
      `(PlanetScale answers 404 for a missing access): ${ADD_ACCESS}.`
  )
}

/**
 * A 2xx whose body is not what the spec promises. `tookEffect`: the request did something
 * anyway (a create answered 200), so the op's onUncertain advice applies.
 */
export function unexpectedAnswerError(
  op: Operation,
  outcome: HttpOutcome,
  what: string,
  tookEffect = false
): PlanetScaleError {
  return build(op, outcome, `The answer ${what}: check planetscale-api-url.`, tookEffect)
}
