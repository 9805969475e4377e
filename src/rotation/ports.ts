// What the protocol needs from the outside world, passed in so that every path is testable
// without module mocking. main.ts wires the real ones; tests wire the emulator or fakes.
import type { SecretsApi } from '../github/types.js'
import type { Credentials, PlanetScaleApi } from '../planetscale/types.js'
import type { JournalStore } from './0-journal.js'
import type { WritePacer } from './5-write-pacer.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

/** Waits `ms`; rejects with the signal's reason if it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export type Clock = () => Date

export interface ProtocolDeps {
  /** PlanetScale as the action's own credentials. */
  planetscale: PlanetScaleApi
  /** PlanetScale as other credentials (the new token). */
  planetscaleAs(credentials: Credentials): PlanetScaleApi
  secrets: SecretsApi
  log: Logger
  now: Clock
  sleep: Sleep
  /** Aborted on SIGINT/SIGTERM: no new target is started, the pair in flight is finished or undone. */
  cancel: AbortSignal
  /** Spaces and orders the GitHub writes (secrets and the journal). */
  pacer: WritePacer
  /** The least time between two GitHub writes: how long the writes of a run take, at least. */
  writeSpacingMs: number
  /** Where the rotation journal is kept; undefined with `journal: none`. */
  journal: JournalStore | undefined
  /** When the github-token expires, once a GitHub answer has said so. */
  githubTokenExpiresAt(): Date | undefined
  /** Pairs in flight at most (a target waiting for its ID's answer while others begin theirs). */
  writeConcurrency: number
  /** Bound on the retries of the new token's test (a new token can take a moment to be usable). */
  verifyTimeoutMs: number
  /** After a cancellation, how long a pair in flight may take before its requests are aborted. */
  cancelGraceMs: number
}
