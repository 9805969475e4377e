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
