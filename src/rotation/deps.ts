// What the protocol needs from the outside world. main.ts wires the real ones; tests wire the emulator.
import type { Credentials, Logger, PlanetScaleApi, SecretsApi, Sleep } from '../types.js'
import type { WritePacer } from './write-pacer.js'

export interface ProtocolDeps {
  /** PlanetScale as the action's own credentials. */
  planetscale: PlanetScaleApi
  /** PlanetScale as other credentials (the new token). */
  planetscaleAs(credentials: Credentials): PlanetScaleApi
  secrets: SecretsApi
  log: Logger
  now(): Date
  sleep: Sleep
  /** Aborted on SIGINT/SIGTERM: no new target is started, the pair in flight is finished or undone. */
  cancel: AbortSignal
  /** Spaces and orders the GitHub secret writes. */
  pacer: WritePacer
  /** Pairs in flight at most (a target waiting for its ID's answer while others begin theirs). */
  writeConcurrency: number
  /** Bound on the retries of step 4 (a new token can take a moment to be usable). */
  verifyTimeoutMs: number
  /** After a cancellation, how long a pair in flight may take before its requests are aborted. */
  cancelGraceMs: number
}
