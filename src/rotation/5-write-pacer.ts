// Which GitHub secret write goes next, and when. Writes start at least `spacingMs` apart
// (GitHub's secondary limits), and a write that completes or restores a pair already begun goes
// before any write that begins one: a target's ID and token are written in consecutive turns,
// whatever else waits, so the window in which they disagree is one turn. While a target waits
// for its ID's answer, other targets may begin theirs: the turns stay busy when latency exceeds
// the spacing.
import { setTimeout as delay } from 'node:timers/promises'
import type { Sleep } from './ports.js'

/** `begin`: the first write of a pair. `complete`: any later write of a pair (token, restore). */
export type TurnKind = 'begin' | 'complete'

export interface WritePacer {
  /** Resolves when the caller may send one write; rejects with the signal's reason if it aborts first. */
  turn(kind: TurnKind, signal?: AbortSignal): Promise<void>
  /** Holds every write back for `ms` (GitHub asked to wait: the next writes would be refused too). */
  pause(ms: number): void
  /** Stops spacing writes: after a cancellation, the pairs in flight must finish before the runner's kill. */
  hurry(): void
}

export interface WritePacerOptions {
  spacingMs: number
  now?: () => number
  sleep?: Sleep
}

interface Waiter {
  signal: AbortSignal | undefined
  resolve(): void
  reject(reason: unknown): void
}

export function createWritePacer(options: WritePacerOptions): WritePacer {
  const now = options.now ?? (() => performance.now())
  const sleep: Sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }))
  let spacingMs = options.spacingMs
  const queues: Record<TurnKind, Waiter[]> = { complete: [], begin: [] }
  let lastStart = Number.NEGATIVE_INFINITY
  let pausedUntil = Number.NEGATIVE_INFINITY
  let pumping = false
  // Aborted by hurry() to cut short a wait for the old spacing.
  let wake = new AbortController()

  const head = (): Waiter[] | undefined =>
    queues.complete.length > 0 ? queues.complete : queues.begin.length > 0 ? queues.begin : undefined

  async function pump(): Promise<void> {
    if (pumping) return
    pumping = true
    try {
      for (let queue = head(); queue; queue = head()) {
        const wait = Math.max(lastStart + spacingMs, pausedUntil) - now()
        if (wait > 0) {
          // Re-pick after the wait: a `complete` may have arrived meanwhile and goes first.
          await sleep(wait, wake.signal).catch(() => undefined)
          if (wake.signal.aborted) wake = new AbortController()
          continue
        }
        lastStart = now()
        queue.shift()!.resolve()
      }
    } finally {
      pumping = false
    }
  }

  // One listener per signal, however many waiters share it (every pair of a run shares one).
  const watched = new WeakSet<AbortSignal>()
  function watch(signal: AbortSignal): void {
    if (watched.has(signal)) return
    watched.add(signal)
    signal.addEventListener(
      'abort',
      () => {
        for (const queue of Object.values(queues)) {
          for (const waiter of queue.filter((w) => w.signal === signal)) {
            queue.splice(queue.indexOf(waiter), 1)
            waiter.reject(signal.reason)
          }
        }
      },
      { once: true }
    )
  }

  return {
    turn(kind, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason)
      return new Promise<void>((resolve, reject) => {
        if (signal) watch(signal)
        queues[kind].push({ signal, resolve, reject })
        void pump()
      })
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms)
    },
    hurry() {
      spacingMs = 0
      // Cut short a wait for the spacing; a pause still holds.
      wake.abort()
    }
  }
}
