// Step 5: write the (ID, token) pair to every target, never leaving one with a mismatched pair.
import { GitHubTargetError, errorMessage } from '../errors.js'
import type { PreparedTarget } from '../types.js'
import type { ProtocolDeps } from './deps.js'

export type TargetOutcome =
  /** Holds the new pair. */
  | 'written'
  /** The token write failed and the old pair was written back. */
  | 'restored'
  /** The ID write was refused: nothing was written, the old pair is intact. */
  | 'unchanged'
  /** Not attempted (the run was cancelled or stopped earlier). */
  | 'skipped'
  /** The pair is inconsistent and could not be put back: needs attention. */
  | 'broken'
  /** Dry run: would be written. */
  | 'planned'

export interface TargetResult {
  label: string
  outcome: TargetOutcome
  detail?: string
}

export interface PairToWrite {
  idName: string
  tokenName: string
  id: string
  token: string
  /**
   * What the targets held before (rotate). The token is known only in self-rotation, where it is
   * the action's own secret. Absent for `create`: there is nothing to put back.
   */
  previous?: { id: string; token?: string }
}

/** A refusal (4xx other than 408/429) means GitHub did not store anything. */
function certainlyNotWritten(error: unknown): boolean {
  if (!(error instanceof GitHubTargetError) || error.status === undefined) return false
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429
}

export async function writeTargets(
  targets: readonly PreparedTarget[],
  pair: PairToWrite,
  deps: Pick<ProtocolDeps, 'log' | 'cancel' | 'writeConcurrency' | 'cancelGraceMs'>
): Promise<TargetResult[]> {
  const { log, cancel } = deps
  const results: TargetResult[] = targets.map((t) => ({ label: t.spec.label, outcome: 'skipped' }))
  // Requests of a pair in flight get a grace period after a cancellation, then are aborted.
  const hardStop = new AbortController()
  const onCancel = (): void => {
    log.warning(`Cancellation received: finishing the targets in flight, starting no new ones.`)
    setTimeout(() => hardStop.abort(new Error('cancelled')), deps.cancelGraceMs).unref()
  }
  if (cancel.aborted) onCancel()
  else cancel.addEventListener('abort', onCancel, { once: true })

  let next = 0
  const worker = async (): Promise<void> => {
    while (next < targets.length && !cancel.aborted) {
      const index = next++
      const target = targets[index]!
      results[index] = await writePair(target, pair, log, hardStop.signal)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.writeConcurrency, targets.length)) }, worker))
  } finally {
    cancel.removeEventListener('abort', onCancel)
  }
  return results
}

async function writePair(
  target: PreparedTarget,
  pair: PairToWrite,
  log: ProtocolDeps['log'],
  signal: AbortSignal
): Promise<TargetResult> {
  const label = target.spec.label
  try {
    await target.writeSecret(pair.idName, pair.id, signal)
  } catch (error) {
    if (certainlyNotWritten(error) || !pair.previous) {
      return { label, outcome: pair.previous ? 'unchanged' : 'broken', detail: errorMessage(error) }
    }
    // The write may have reached GitHub before the connection failed: put the old ID back.
    log.warning(`${label}: writing ${pair.idName} failed (${errorMessage(error)}); writing the previous ID back.`)
    return restore(target, pair, pair.previous, errorMessage(error), false, log, signal)
  }
  try {
    await target.writeSecret(pair.tokenName, pair.token, signal)
    log.info(`${label}: ${pair.idName} and ${pair.tokenName} written.`)
    return { label, outcome: 'written' }
  } catch (error) {
    const reason = errorMessage(error)
    if (!pair.previous) {
      return { label, outcome: 'broken', detail: `${pair.idName} holds the new ID but ${pair.tokenName} could not be written: ${reason}` }
    }
    log.warning(`${label}: writing ${pair.tokenName} failed (${reason}); writing the previous ID back.`)
    return restore(target, pair, pair.previous, reason, !certainlyNotWritten(error), log, signal)
  }
}

async function restore(
  target: PreparedTarget,
  pair: PairToWrite,
  previous: { id: string; token?: string },
  reason: string,
  tokenMayHaveChanged: boolean,
  log: ProtocolDeps['log'],
  signal: AbortSignal
): Promise<TargetResult> {
  const label = target.spec.label
  try {
    // If the token write may have landed, the old token has to go back too, and we can only
    // do that when we know it (self-rotation).
    if (tokenMayHaveChanged && previous.token !== undefined) await target.writeSecret(pair.tokenName, previous.token, signal)
    await target.writeSecret(pair.idName, previous.id, signal)
  } catch (restoreError) {
    log.warning(`${label}: restoring the previous ID failed: ${errorMessage(restoreError)}`)
    return {
      label,
      outcome: 'broken',
      detail: `${reason}; then restoring ${pair.idName} to ${previous.id} failed: ${errorMessage(restoreError)}`
    }
  }
  if (tokenMayHaveChanged && previous.token === undefined) {
    // GitHub does not usually store a write it answered with an error, so the old pair is the
    // likely state; say plainly that it could not be proven.
    return {
      label,
      outcome: 'restored',
      detail: `${reason}; ${pair.idName} was put back to ${previous.id}. If the failed write of ${pair.tokenName} reached GitHub anyway, re-run the rotation.`
    }
  }
  return { label, outcome: 'restored', detail: reason }
}
