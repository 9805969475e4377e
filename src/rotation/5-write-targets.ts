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
  /** A write's outcome stayed unknown: the target may hold either pair, so neither token is deleted. */
  | 'uncertain'
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
  deps: Pick<ProtocolDeps, 'log' | 'cancel' | 'writeConcurrency' | 'cancelGraceMs' | 'pacer'>,
  /** Told each target's result as it is known (the journal records them). */
  onResult?: (result: TargetResult, done: number) => Promise<void>
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
  let done = 0
  const worker = async (): Promise<void> => {
    while (next < targets.length && !cancel.aborted) {
      const index = next++
      const writer = new PairWriter(targets[index]!, pair, log, pacer, {
        begin: cancel,
        write: hardStop.signal,
        settle: lastStop.signal
      })
      const result = await writer.write()
      if (result === undefined) continue
      results[index] = result
      await onResult?.(result, ++done)
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
    const idFailed = clause(await this.put('id', 'new', this.stop.write, false))
    if (idFailed !== undefined) {
      if (this.id.certain) return { label, outcome: 'unchanged', detail: idFailed }
      // The write may have reached GitHub before the answer was lost.
      if (pair.previous) {
        this.log.warning(`${label}: writing ${pair.idName} failed (${idFailed}); writing the previous ID back.`)
        const restoreFailed = await this.put('id', 'old', this.stop.settle)
        if (restoreFailed === undefined) return { label, outcome: 'restored', detail: idFailed }
        return this.uncertain(`${idFailed}; writing the previous ID back failed too: ${restoreFailed}`)
      }
      const retryFailed = await this.put('id', 'new', this.stop.settle)
      if (retryFailed !== undefined) return this.uncertain(`${idFailed}; retrying failed too: ${retryFailed}`)
    }
    const tokenFailed = clause(await this.put('token', 'new', this.stop.write))
    if (tokenFailed === undefined) return this.written()
    if (!this.token.certain) {
      // It may have landed: write the new token again rather than the old ID back, which could
      // pair the old ID with the new token.
      this.log.warning(`${label}: writing ${pair.tokenName} failed (${tokenFailed}); writing it again.`)
      const retryFailed = await this.put('token', 'new', this.stop.settle)
      if (retryFailed === undefined) return this.written(tokenFailed)
      return this.uncertain(`${tokenFailed}; writing it again failed too: ${retryFailed}`)
    }
    if (!pair.previous) {
      return {
        label,
        outcome: 'broken',
        detail: `${pair.idName} holds the new ID but ${pair.tokenName} could not be written: ${tokenFailed}`
      }
    }
    // Refused for certain: the token secret still holds the old token, so the old ID goes back.
    this.log.warning(`${label}: writing ${pair.tokenName} failed (${tokenFailed}); writing the previous ID back.`)
    const restoreFailed = await this.put('id', 'old', this.stop.settle)
    if (restoreFailed === undefined) return { label, outcome: 'restored', detail: tokenFailed }
    if (!this.id.certain) return this.uncertain(`${tokenFailed}; writing the previous ID back failed: ${restoreFailed}`)
    this.log.warning(`${label}: writing the previous ID back failed too: ${restoreFailed}`)
    return {
      label,
      outcome: 'broken',
      detail:
        `${tokenFailed}; then writing ${pair.idName} back to ${pair.previous.id} failed: ${restoreFailed}. ` +
        `${pair.idName} holds the new ID, ${pair.tokenName} the old token: ` +
        'the next run that can write to it repairs it (re-run once GitHub accepts writes again).'
    }
  }

  private written(after?: string): TargetResult {
    const { label, pair } = this
    this.log.info(`${label}: ${pair.idName} and ${pair.tokenName} written.`)
    return after
      ? { label, outcome: 'written', detail: `${after}; written on a second attempt` }
      : { label, outcome: 'written' }
  }

  private uncertain(reason: string): TargetResult {
    const { label, pair } = this
    reason = reason.replace(/\.(?=;)/g, '').replace(/\.+$/, '')
    this.log.warning(`${label}: its pair is uncertain: ${reason}`)
    return {
      label,
      outcome: 'uncertain',
      detail:
        `${reason}. ${pair.idName} holds ${this.describe(this.id, 'ID')}, ` +
        `${pair.tokenName} ${this.describe(this.token, 'token')}: both tokens are kept, and the next run ` +
        'writes a fresh pair to it.'
    }
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

/** A failure's message as a clause that more can follow (`…; then …`). */
function clause(message: string | undefined): string | undefined {
  return message?.replace(/\.+$/, '')
}
