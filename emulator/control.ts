// Test controls shared by both servers: fault rules, hold points, latency, the request log.
import type {
  ApiName,
  FaultResponse,
  FaultRule,
  HeldRequest,
  LatencySettings,
  LogEntry,
  RouteMatcher
} from './types.js'

export const PREFIXES: Record<ApiName, string> = { planetscale: '/v1', github: '/api/v3' }

export function matchesRoute(rule: RouteMatcher, api: ApiName, method: string, path: string): boolean {
  if (rule.api !== undefined && rule.api !== api) return false
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false
  if (typeof rule.path === 'string') return rule.path === path || rule.path === PREFIXES[api] + path
  rule.path.lastIndex = 0 // a /g or /y RegExp would otherwise remember the previous match
  return rule.path.test(path)
}

interface ActiveFault {
  id: number
  rule: FaultRule
  seen: number
}

export interface ArmedHold {
  /** undefined: every request of either API. */
  matcher?: RouteMatcher
  nth: number
  phase: 'before' | 'after'
  seen: number
  resolve(held: HeldRequest): void
  reject(reason: Error): void
}

export class Control {
  readonly log: LogEntry[] = []
  private seq = 0
  private faultSeq = 0
  private faults: ActiveFault[] = []
  private holds: ArmedHold[] = []
  private latency: Required<LatencySettings>

  constructor(
    latencyMs: number,
    private readonly onRequest?: (entry: LogEntry) => void
  ) {
    this.latency = { planetscale: latencyMs, github: latencyMs, routes: [] }
  }

  nextSeq(): number {
    return ++this.seq
  }

  setLatency(settings: LatencySettings): void {
    this.latency = { ...this.latency, ...settings }
  }

  latencyFor(api: ApiName, method: string, path: string): number {
    const route = this.latency.routes.find((r) => matchesRoute(r, api, method, path))
    return route ? route.ms : this.latency[api]
  }

  addFault(rule: FaultRule): number {
    const nth = rule.nth ?? 1
    const times = rule.times ?? 1
    if (!Number.isInteger(nth) || nth < 1) throw new Error(`addFault: nth must be an integer >= 1, got ${nth}`)
    if (!(times >= 1)) throw new Error(`addFault: times must be >= 1, got ${times}`)
    const id = ++this.faultSeq
    this.faults.push({ id, rule, seen: 0 })
    return id
  }

  removeFault(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id)
  }

  clearFaults(): void {
    this.faults = []
  }

  /**
   * Counts this call against every matching rule and returns the first one whose window
   * (nth .. nth+times-1) includes it. Every matching rule counts the call, so rules stay independent.
   */
  takeFault(
    api: ApiName,
    method: string,
    path: string
  ): { response: FaultResponse; phase: 'before' | 'after' } | undefined {
    let hit: FaultRule | undefined
    for (const fault of this.faults) {
      if (!matchesRoute(fault.rule, api, method, path)) continue
      fault.seen++
      const nth = fault.rule.nth ?? 1
      const times = fault.rule.times ?? 1
      if (!hit && fault.seen >= nth && fault.seen < nth + times) hit = fault.rule
    }
    return hit && { response: hit.response, phase: hit.phase ?? 'before' }
  }

  /** Resolves once the request is held; rejects if the emulator stops first. */
  addHold(matcher: RouteMatcher | undefined, nth = 1, phase: 'before' | 'after' = 'before'): Promise<HeldRequest> {
    if (!Number.isInteger(nth) || nth < 1) throw new Error(`holdAt: nth must be an integer >= 1, got ${nth}`)
    let hold: ArmedHold | undefined
    const promise = new Promise<HeldRequest>((resolve, reject) => {
      hold = { matcher, nth, phase, seen: 0, resolve, reject }
    })
    // Marked handled: a test that never awaits an unreached hold must not fail on the rejection at stop().
    promise.catch(() => {})
    this.holds.push(hold as ArmedHold)
    return promise
  }

  /**
   * Called on arrival, in seq order across both APIs, so that "the nth request" matches the nth log entry.
   * Every matching hold counts the request; the first one due takes it and is disarmed.
   */
  takeHold(api: ApiName, method: string, path: string): ArmedHold | undefined {
    let hit: ArmedHold | undefined
    for (const hold of this.holds) {
      if (hold.matcher && !matchesRoute(hold.matcher, api, method, path)) continue
      hold.seen++
      if (!hit && hold.seen >= hold.nth) hit = hold
    }
    if (hit) this.holds = this.holds.filter((h) => h !== hit)
    return hit
  }

  /** Rejects every hold not reached yet. */
  disarmHolds(reason: string): void {
    for (const hold of this.holds) hold.reject(new Error(reason))
    this.holds = []
  }

  /** Keeps the log in arrival (seq) order although requests finish out of order. */
  record(entry: LogEntry): void {
    let i = this.log.length
    while (i > 0 && (this.log[i - 1] as LogEntry).seq > entry.seq) i--
    this.log.splice(i, 0, entry)
    this.onRequest?.(entry)
  }

  clearLog(): void {
    this.log.length = 0
  }
}
