// Step 5: write the (ID, token) pair to every target, never leaving one with a mismatched pair.
import { setMaxListeners } from 'node:events'
import { GitHubTargetError, errorMessage } from '../errors.js'
import type { PreparedTarget } from '../github/types.js'
import type { WritePacer } from './5-write-pacer.js'
import type { ProtocolDeps } from './ports.js'

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

/**
 * After the in-flight writes are aborted, how long writing a pair back may still take (the
 * runner kills 7.5 s after SIGINT).
 */
export const SETTLE_AFTER_STOP_MS = 2_000

export async function writeTargets(
  targets: readonly PreparedTarget[],
  pair: PairToWrite,
  deps: Pick<ProtocolDeps, 'log' | 'cancel' | 'writeConcurrency' | 'cancelGraceMs' | 'pacer'>
): Promise<TargetResult[]> {
  const { log, cancel, pacer } = deps
  const results: TargetResult[] = targets.map((t) => ({ label: t.spec.label, outcome: 'skipped' }))
  // Requests of a pair in flight get a grace period after a cancellation, then are aborted; the
  // writes that put a consistent pair back get a little longer, with their own deadline.
  const hardStop = new AbortController()
  const lastStop = new AbortController()
  // Every request of every pair in flight listens to them (its own abort, and fetch's).
  setMaxListeners(4 * deps.writeConcurrency + 10, hardStop.signal, lastStop.signal)
  const onCancel = (): void => {
    log.warning(`Cancellation received: finishing the targets in flight, starting no new ones.`)
    pacer.hurry()
    setTimeout(() => {
      hardStop.abort(new Error('cancelled'))
      setTimeout(() => lastStop.abort(new Error('cancelled')), SETTLE_AFTER_STOP_MS).unref()
    }, deps.cancelGraceMs).unref()
  }
  if (cancel.aborted) onCancel()
  else cancel.addEventListener('abort', onCancel, { once: true })

  // Each worker holds at most one pair in flight; the pacer decides whose write goes next.
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < targets.length && !cancel.aborted) {
      const index = next++
      const writer = new PairWriter(targets[index]!, pair, log, pacer, {
        begin: cancel,
        write: hardStop.signal,
        settle: lastStop.signal
      })
      results[index] = (await writer.write()) ?? results[index]!
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.writeConcurrency, targets.length)) }, worker))
  } finally {
    cancel.removeEventListener('abort', onCancel)
  }
  return results
}

/** When each kind of write gives up waiting or is aborted. */
interface StopSignals {
  /** A pair not yet begun is not begun after a cancellation. */
  begin: AbortSignal
  /** The writes of a pair in flight: aborted once the grace after a cancellation is over. */
  write: AbortSignal
  /** Writes that put a consistent pair back: a little later still. */
  settle: AbortSignal
}

type Held = 'old' | 'new'

/** What one secret of the target holds, as far as the answers tell. */
interface SecretState {
  /** Assuming that a write GitHub did not confirm did not land (GitHub rarely stores one it answered with an error). */
  value: Held
  /** False after a failed write that may have landed anyway. */
  certain: boolean
}

/**
 * Writes one target's pair and, when a write fails, steers the target back to a pair that works:
 * the old one if it can be written back, else the new one. The target is only reported `broken`
 * when neither could be written.
 */
class PairWriter {
  private readonly id: SecretState = { value: 'old', certain: true }
  private readonly token: SecretState = { value: 'old', certain: true }
  private readonly label: string

  constructor(
    private readonly target: PreparedTarget,
    private readonly pair: PairToWrite,
    private readonly log: ProtocolDeps['log'],
    private readonly pacer: WritePacer,
    private readonly stop: StopSignals
  ) {
    this.label = target.spec.label
  }

  /** The target's result; undefined when the run was cancelled before its pair began (nothing written). */
  async write(): Promise<TargetResult | undefined> {
    const { label, pair } = this
    try {
      await this.pacer.turn('begin', this.stop.begin)
    } catch {
      return undefined
    }
    const idFailed = await this.put('id', 'new', this.stop.write, false)
    if (idFailed !== undefined) {
      if (this.id.certain) return { label, outcome: 'unchanged', detail: idFailed }
      if (!pair.previous) return { label, outcome: 'broken', detail: idFailed }
      // The write may have reached GitHub before the connection failed: put the old ID back.
      this.log.warning(`${label}: writing ${pair.idName} failed (${idFailed}); writing the previous ID back.`)
      return this.settle(idFailed, pair.previous)
    }
    const tokenFailed = await this.put('token', 'new', this.stop.write)
    if (tokenFailed === undefined) {
      this.log.info(`${label}: ${pair.idName} and ${pair.tokenName} written.`)
      return { label, outcome: 'written' }
    }
    if (!pair.previous) {
      return {
        label,
        outcome: 'broken',
        detail: `${pair.idName} holds the new ID but ${pair.tokenName} could not be written: ${tokenFailed}`
      }
    }
    this.log.warning(`${label}: writing ${pair.tokenName} failed (${tokenFailed}); writing the previous ID back.`)
    return this.settle(tokenFailed, pair.previous)
  }

  /** After a failed write: the old pair back if possible, else the new pair completed, else `broken`. */
  private async settle(reason: string, previous: { id: string; token?: string }): Promise<TargetResult> {
    const { label, pair } = this
    let restoreFailed: string | undefined
    // If the token write may have landed, the old token has to go back too, and we can only do
    // that when we know it (self-rotation).
    if (!this.holds(this.token, 'old') && previous.token !== undefined)
      restoreFailed = await this.put('token', 'old', this.stop.settle)
    if (restoreFailed === undefined && !this.holds(this.id, 'old'))
      restoreFailed = await this.put('id', 'old', this.stop.settle)
    if (restoreFailed === undefined) {
      if (!this.token.certain) {
        // The old token could not be written back (unknown); say plainly what could not be proven.
        return {
          label,
          outcome: 'restored',
          detail:
            `${reason}; ${pair.idName} was put back to ${previous.id}. ` +
            `If the failed write of ${pair.tokenName} reached GitHub anyway, re-run the rotation.`
        }
      }
      return { label, outcome: 'restored', detail: reason }
    }
    this.log.warning(
      `${label}: restoring the previous pair failed (${restoreFailed}); completing the new pair instead.`
    )
    let completeFailed: string | undefined
    if (!this.holds(this.id, 'new')) completeFailed = await this.put('id', 'new', this.stop.settle)
    if (completeFailed === undefined && !this.holds(this.token, 'new'))
      completeFailed = await this.put('token', 'new', this.stop.settle)
    if (completeFailed === undefined) {
      this.log.info(
        `${label}: ${pair.idName} and ${pair.tokenName} written (after restoring the previous pair failed).`
      )
      return {
        label,
        outcome: 'written',
        detail: `${reason}; writing the previous pair back failed too, so the new pair was completed`
      }
    }
    this.log.warning(`${label}: completing the new pair failed too: ${completeFailed}`)
    return {
      label,
      outcome: 'broken',
      detail:
        `${reason}; then restoring ${pair.idName} to ${previous.id} failed: ${restoreFailed}; ` +
        `completing the new pair failed: ${completeFailed}. ` +
        `${pair.idName} holds ${this.describe(this.id, 'ID')}, ` +
        `${pair.tokenName} ${this.describe(this.token, 'token')}: ` +
        're-run the rotation once GitHub accepts writes again.'
    }
  }

  private holds(state: SecretState, value: Held): boolean {
    return state.certain && state.value === value
  }

  private describe(state: SecretState, what: string): string {
    const other: Held = state.value === 'old' ? 'new' : 'old'
    return state.certain ? `the ${state.value} ${what}` : `the ${state.value} ${what} or the ${other} one`
  }

  /**
   * Writes one secret and records what it holds; returns the failure's message, undefined on
   * success. Every write but the first of the pair waits for a `complete` turn (which goes first).
   */
  private async put(
    which: 'id' | 'token',
    value: Held,
    signal: AbortSignal,
    takeTurn = true
  ): Promise<string | undefined> {
    const { pair } = this
    const previous = pair.previous
    const name = which === 'id' ? pair.idName : pair.tokenName
    const secret =
      value === 'new' ? (which === 'id' ? pair.id : pair.token) : which === 'id' ? previous?.id : previous?.token
    const state = which === 'id' ? this.id : this.token
    if (secret === undefined) throw new Error(`no ${value} value for ${name}`)
    try {
      if (takeTurn) await this.pacer.turn('complete', signal)
    } catch {
      return `${name} was not written: the run was cancelled`
    }
    try {
      await this.target.writeSecret(name, secret, signal)
      state.value = value
      state.certain = true
      return undefined
    } catch (error) {
      if (!certainlyNotWritten(error)) state.certain = false
      return errorMessage(error)
    }
  }
}
