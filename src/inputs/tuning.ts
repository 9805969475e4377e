// Advanced knobs read from the environment rather than inputs: they matter for GHES
// instances without secondary rate limits, for the emulator tests and for the benchmark,
// not for everyday workflows. Each one is validated like an input.
import { InputError } from '../errors.js'
import type { InputEnv } from './index.js'

export interface Tuning {
  /** Minimum time between the starts of two GitHub secret writes (secondary-limit guard). */
  writeSpacingMs: number
  /**
   * Pairs in flight at most. The pacer gives a pair's second write the next turn, so each target's
   * ID-to-token window stays one turn whatever this is; more pairs in flight only fill the turns
   * that would go unused while a target waits for its ID's answer (latency above the spacing).
   */
  writeConcurrency: number
  /** First backoff of retries on transient failures, both APIs. */
  retryBaseMs: number
  /** Per-request timeout, both APIs. */
  requestTimeoutMs: number
  /** Bound on the retries of the new token's test. */
  verifyTimeoutMs: number
}

const KNOBS: Record<keyof Tuning, { env: string; fallback: number; min: number; max: number }> = {
  writeSpacingMs: { env: 'PSCALE_ACTION_WRITE_SPACING_MS', fallback: 1000, min: 0, max: 60_000 },
  writeConcurrency: { env: 'PSCALE_ACTION_WRITE_CONCURRENCY', fallback: 8, min: 1, max: 20 },
  retryBaseMs: { env: 'PSCALE_ACTION_RETRY_BASE_MS', fallback: 1000, min: 0, max: 60_000 },
  requestTimeoutMs: { env: 'PSCALE_ACTION_REQUEST_TIMEOUT_MS', fallback: 15_000, min: 100, max: 300_000 },
  verifyTimeoutMs: { env: 'PSCALE_ACTION_VERIFY_TIMEOUT_MS', fallback: 30_000, min: 0, max: 600_000 }
}

export function readTuning(env: InputEnv): Tuning {
  const tuning = {} as Tuning
  for (const [key, knob] of Object.entries(KNOBS) as [keyof Tuning, (typeof KNOBS)[keyof Tuning]][]) {
    const raw = env[knob.env]?.trim()
    if (!raw) {
      tuning[key] = knob.fallback
      continue
    }
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < knob.min || value > knob.max) {
      throw new InputError(
        knob.env,
        `must be a whole number from ${knob.min} to ${knob.max} (got "${raw.slice(0, 20)}").`
      )
    }
    tuning[key] = value
  }
  return tuning
}
