// Bottleneck (under plugin-retry and plugin-throttling) keeps its queue in an in-memory store
// that mimics its Redis one: every operation first yields to the event loop with setTimeout(0).
// Node's timers make each such yield last a millisecond or more, and a GitHub request goes
// through about ten of them (two limiters of plugin-throttling, one of plugin-retry): ~10 ms
// of idle time per request, on the critical path of every write. setImmediate yields to the
// event loop the same way, without the timer's delay. Bottleneck 2.19.5 (pinned) is its last
// release; if a future one has no such method, nothing is changed.
import Bottleneck from 'bottleneck/light.js'

type Store = { yieldLoop?: (this: unknown, t?: number) => Promise<void> }

let applied = false

/** Idempotent. Returns whether Bottleneck now yields with setImmediate. */
export function yieldWithSetImmediate(): boolean {
  if (applied) return true
  const store = (new Bottleneck() as unknown as { _store?: object })._store
  const prototype = store ? (Object.getPrototypeOf(store) as Store) : undefined
  const original = prototype?.yieldLoop
  if (!prototype || typeof original !== 'function') return false
  prototype.yieldLoop = function (this: unknown, t = 0) {
    return t > 0 ? original.call(this, t) : new Promise<void>((resolve) => setImmediate(resolve))
  }
  applied = true
  return true
}
