// Test controls shared by both servers: fault rules, latency, the request log.
import type { ApiName, FaultResponse, FaultRule, LatencySettings, LogEntry, RouteMatcher } from './types.js'

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

export class Control {
  readonly log: LogEntry[] = []
  private seq = 0
  private faultSeq = 0
  private faults: ActiveFault[] = []
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
