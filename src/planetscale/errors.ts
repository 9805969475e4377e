// Turns a failed PlanetScale request into a PlanetScaleError that tells the user what to fix
// (PlanetScale's documented error statuses). Bodies never reach a message: only PlanetScale's
// error `code`, its short `message` field and the field names of its `errors` list do, redacted.
import { GrantRefusedError, PlanetScaleError, PlanetScaleNotFoundError } from '../errors.js'
import { redactUntrusted } from '../redact.js'
import { certificateAdvice, redirectTarget } from '../net/fetch.js'
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
  /** The field names of PlanetScale's second shape, `{"errors": [{"namespace", "name", "errors"}]}`. */
  names?: string[]
}

/** A code or a field name: a plain identifier, which still may be a secret an API echoed. */
const IDENTIFIER = /^[A-Za-z0-9_.[\]-]{1,64}$/
const MAX_NAMES = 5
const MAX_NAME_DEPTH = 3

/**
 * PlanetScale's `{code, message}` and the names of its `{errors: [...]}` shape; anything else in
 * the body is ignored. Every field is API text, so it is redacted here, where it enters a message
 * (the run's sinks redact again by value).
 */
export function readErrorBody(body: unknown): ErrorBody {
  if (typeof body !== 'object' || body === null) return {}
  const { code, message, errors } = body as { code?: unknown; message?: unknown; errors?: unknown }
  const result: ErrorBody = {}
  if (typeof code === 'string' && IDENTIFIER.test(code)) result.code = redactUntrusted(code)
  if (typeof message === 'string') {
    const clean = untrustedLine(message)
    if (clean !== '') result.message = cutBetweenWords(clean, MESSAGE_LIMIT)
  }
  const names = new Set<string>()
  collectNames(errors, '', 0, names)
  if (names.size > 0) {
    const all = [...names]
    result.names = all.length > MAX_NAMES ? [...all.slice(0, MAX_NAMES), '…'] : all
  }
  return result
}

/** API text for a message: redacted, and one line (a newline could start a workflow command in the runner's log). */
function untrustedLine(text: string): string {
  return redactUntrusted(text)
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
}

/** Half a secret would escape redaction by value: a long text is never cut inside a word. */
function cutBetweenWords(text: string, limit: number): string {
  if (text.length <= limit) return text
  const head = /\S/.test(text.charAt(limit)) ? text.slice(0, limit).replace(/\S+$/, '') : text.slice(0, limit)
  return `${head.trimEnd()}…`
}

/** `namespace.name` of each entry, nested ones included; their values (the inner strings) never. */
function collectNames(list: unknown, parent: string, depth: number, into: Set<string>): void {
  if (!Array.isArray(list) || depth >= MAX_NAME_DEPTH) return
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue
    const { namespace, name, errors } = entry as { namespace?: unknown; name?: unknown; errors?: unknown }
    const parts = [parent, namespace, name].filter(
      (part): part is string => typeof part === 'string' && IDENTIFIER.test(part)
    )
    const full = redactUntrusted(parts.join('.'))
    if (full !== '' && full !== parent) into.add(full)
    collectNames(errors, full, depth + 1, into)
  }
}

function headline(op: Operation, outcome: HttpOutcome): string {
  const where = `PlanetScale ${op.step} in organization "${op.organization}" failed`
  if (outcome.kind === 'no-response') return `${where}: ${outcome.reason} (${attempts(outcome.attempts)}).`
  const { code, message, names } = readErrorBody(outcome.body)
  const said = [code, message === undefined ? undefined : `"${message}"`].filter((part) => part !== undefined)
  const detail = [said.join(': '), names === undefined ? '' : `errors in ${names.join(', ')}`].filter((p) => p !== '')
  return `${where}: HTTP ${outcome.status}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}.`
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

function build(
  op: Operation,
  outcome: HttpOutcome,
  advice: string,
  uncertain = outcome.uncertain,
  Kind: typeof PlanetScaleError = PlanetScaleError
): PlanetScaleError {
  const extra = uncertain && op.onUncertain !== undefined ? ` ${op.onUncertain}` : ''
  return new Kind(`${headline(op, outcome)} ${advice}${extra}`, op.step, statusOf(outcome), codeOf(outcome))
}

function accessList(needs: readonly string[]): string {
  return needs.join(', ')
}

/** Any failure but a 404 that needs a credentials check (see notFoundError). */
export function failureError(op: Operation, outcome: HttpOutcome): PlanetScaleError {
  if (outcome.kind === 'no-response') {
    return build(
      op,
      outcome,
      `PlanetScale did not answer: try again later, and check planetscale-api-url.${certificateAdvice(outcome.reason)}`
    )
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
      `PlanetScale answered with a redirect to ${redirectTarget(outcome.location)}, which the action does not follow ` +
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
    const visible = probe.organizations.map((name) => `"${untrustedLine(name)}"`).join(', ')
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
  return build(
    op,
    outcome,
    `Either ${op.subject} was not found${needs} (PlanetScale answers 404 for both).${fix}`,
    outcome.uncertain,
    PlanetScaleNotFoundError
  )
}

/**
 * A grant answered 401, 403 or 404. Once the same credentials are proven to work, that is
 * PlanetScale refusing the grant: its endpoint is not in the published reference, and PlanetScale
 * may not let a service token call it (or the token lacks an access it passes on). Otherwise it
 * is explained like any 404.
 */
export function grantRefusedError(op: Operation, outcome: HttpOutcome, probe: CredentialsProbe): PlanetScaleError {
  if (!probe.ok || (probe.organizations.length > 0 && !probe.organizations.includes(op.organization))) {
    return notFoundError(op, outcome, probe)
  }
  const missing = statusOf(outcome) === 404 ? `; or ${op.subject} was not found` : ''
  return build(
    op,
    outcome,
    'PlanetScale refused to let a service token grant accesses, although the same credentials work: ' +
      "the grant endpoint (POST .../service-tokens/{id}/access) is not in PlanetScale's published API reference " +
      'and may be closed to service tokens. ' +
      `(Other causes: the token lacks one of ${accessList(op.needs)}${missing}.) ` +
      'Grant the accesses in the PlanetScale dashboard instead (Settings → Service tokens: create the token ' +
      'there with its accesses), or rotate from a token that PlanetScale lets grant them ' +
      '(use its pair as service-token-id and service-token).',
    outcome.uncertain,
    GrantRefusedError
  )
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
