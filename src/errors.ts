// Typed errors. Their messages are shown to users as-is, so they name the step, the
// target and the HTTP status, say what to do, and never carry a request or response body.

export class InputError extends Error {
  override readonly name = 'InputError'
  constructor(
    readonly input: string,
    problem: string
  ) {
    super(`Input "${input}": ${problem}`)
  }
}

export class PlanetScaleError extends Error {
  override readonly name = 'PlanetScaleError'
  constructor(
    message: string,
    /** What the action was doing, e.g. "create token". */
    readonly step: string,
    /** HTTP status, or undefined for network errors and timeouts. */
    readonly status: number | undefined,
    /** PlanetScale's error `code` when the body had one. */
    readonly code?: string
  ) {
    super(message)
  }
}

/**
 * PlanetScale refused a grant although the credentials work: the grant endpoint is not in its
 * published reference and may be closed to service tokens. Reported once, not per grant.
 */
export class GrantRefusedError extends PlanetScaleError {}

/**
 * A 404 once the same credentials are proven to work and see the organization: the resource is
 * not there, or the token lacks the access to see it (PlanetScale answers alike).
 */
export class PlanetScaleNotFoundError extends PlanetScaleError {}

export class GitHubTargetError extends Error {
  override readonly name = 'GitHubTargetError'
  constructor(
    message: string,
    /** The target as the user wrote it, e.g. "environment:acme/api/production". */
    readonly target: string,
    readonly step: string,
    readonly status: number | undefined
  ) {
    super(message)
  }
}

/** The protocol found something that makes going on unsafe (e.g. a concurrent rotation). */
export class RotationError extends Error {
  override readonly name = 'RotationError'
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Runs independent requests together and reports every failure, not just the first: a user
 * fixing their configuration wants the whole list at once.
 */
export async function allOrReport<T extends readonly unknown[]>(
  what: string,
  tasks: { readonly [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(tasks as readonly Promise<unknown>[])
  const failures = settled
    .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    .map((s) => s.reason as unknown)
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) {
    throw new RotationError(
      `${what}: ${failures.length} problems:\n${failures.map((f) => `- ${errorMessage(f)}`).join('\n')}`
    )
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T
}

/** An API answered with a redirect, which no client of this action follows (it would carry the credentials). */
export class RedirectRefusedError extends Error {
  override readonly name = 'RedirectRefusedError'
  constructor(
    message: string,
    /** The 3xx status; not `status`, which the retry plugin reads to decide on a retry. */
    readonly redirectStatus: number
  ) {
    super(message)
  }
}

/** A runner setting (an environment variable, not an input) that the action cannot work with. */
export class RunnerSettingError extends Error {
  override readonly name = 'RunnerSettingError'
}
