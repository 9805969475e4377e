// Figures computed from the emulator's request log. All times are the emulator's
// performance.now() (the bench process's clock), in ms.
import type { LogEntry } from '../emulator/index.js'

export interface RequestCounts {
  total: number
  planetscale: number
  github: number
  /** Every GitHub write: secret PUTs and the journal's variable writes (they share GitHub's write limit). */
  githubWrites: number
  /** The journal's variable writes (POST creates, PATCH updates). */
  journalWrites: number
}

export function countRequests(log: readonly LogEntry[]): RequestCounts {
  const github = log.filter((e) => e.api === 'github')
  return {
    total: log.length,
    planetscale: log.length - github.length,
    github: github.length,
    githubWrites: github.filter(isWrite).length,
    journalWrites: github.filter(isJournalWrite).length
  }
}

/** First request's start to last request's end: the rotation itself, without process start-up and exit. */
export function span(log: readonly LogEntry[]): number {
  if (log.length === 0) return Number.NaN
  return Math.max(...log.map((e) => e.endedAt)) - Math.min(...log.map((e) => e.startedAt))
}

/**
 * The longest chain of requests in which each one started after the previous one ended:
 * the sequential depth of the critical path. O(n²), fine for a few hundred requests.
 */
export function criticalPathDepth(log: readonly LogEntry[]): number {
  const entries = [...log].sort((a, b) => a.startedAt - b.startedAt)
  const depth: number[] = []
  let longest = 0
  for (let i = 0; i < entries.length; i++) {
    const current = entries[i]!
    let before = 0
    for (let j = 0; j < i; j++) {
      if (entries[j]!.endedAt <= current.startedAt) before = Math.max(before, depth[j]!)
    }
    depth.push(before + 1)
    longest = Math.max(longest, before + 1)
  }
  return longest
}

export interface PairWindow {
  /** The scope's secrets path, e.g. /repos/acme/api/actions. */
  scope: string
  /**
   * Token PUT end − ID PUT end. The emulator stores a write when it answers, so this is how
   * long the scope's ID and token secrets actually disagreed.
   */
  effectiveMs: number
  /** Token PUT end − ID PUT start: the bound when a write may land at any moment of its request. */
  boundMs: number
}

/**
 * Per scope: the first successful PUT of the ID secret and the first successful PUT of the token
 * secret after it. Scopes whose pair is incomplete in the log are left out (the caller counts them).
 */
export function pairWindows(log: readonly LogEntry[], idName: string, tokenName: string): PairWindow[] {
  const byScope = new Map<string, { id?: LogEntry; token?: LogEntry }>()
  for (const entry of log) {
    if (entry.api !== 'github' || entry.method !== 'PUT' || !isSuccess(entry)) continue
    const match = /^(.*)\/secrets\/([^/]+)$/.exec(entry.path)
    if (!match) continue
    const [, scope = '', name = ''] = match
    const pair = byScope.get(scope) ?? {}
    if (name.toUpperCase() === idName && !pair.id) pair.id = entry
    else if (name.toUpperCase() === tokenName && pair.id && !pair.token) pair.token = entry
    byScope.set(scope, pair)
  }
  const windows: PairWindow[] = []
  for (const [scope, { id, token }] of byScope) {
    if (!id || !token) continue
    windows.push({ scope, effectiveMs: token.endedAt - id.endedAt, boundMs: token.endedAt - id.startedAt })
  }
  return windows
}

export interface Phases {
  /** First request start → first GitHub write start: the journal read and the check. */
  beforeWritesMs: number
  /** First GitHub write start → last GitHub write end: the journal's intent to its last write. */
  writesMs: number
  /** Last GitHub write end → last request end. */
  afterWritesMs: number
  /** Smallest gap between the starts of two consecutive pacer turns as they reached GitHub. */
  minWriteGapMs: number
}

export function phases(log: readonly LogEntry[]): Phases {
  const writes = log.filter(isWrite).sort((a, b) => a.startedAt - b.startedAt)
  if (writes.length === 0)
    return { beforeWritesMs: Number.NaN, writesMs: Number.NaN, afterWritesMs: Number.NaN, minWriteGapMs: Number.NaN }
  const first = Math.min(...log.map((e) => e.startedAt))
  const last = Math.max(...log.map((e) => e.endedAt))
  const writesEnd = Math.max(...writes.map((e) => e.endedAt))
  // A journal write GitHub answers "missing" or "exists" is followed at once by its other form, inside the
  // same pacer turn: spaced from the previous turn, not from the refused request.
  const turns = writes.filter((w, i) => i === 0 || !isFallbackOf(writes[i - 1]!, w)).map((e) => e.startedAt)
  const gaps = turns.slice(1).map((s, i) => s - turns[i]!)
  return {
    beforeWritesMs: writes[0]!.startedAt - first,
    writesMs: writesEnd - writes[0]!.startedAt,
    afterWritesMs: last - writesEnd,
    minWriteGapMs: gaps.length > 0 ? Math.min(...gaps) : Number.NaN
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE'])
// Repository and organization variables live under /actions/variables, an environment's under /variables.
const VARIABLES = /\/variables(?:\/[^/]+)?$/

/** What GitHub counts against its write limit (the emulator too): any GitHub request but a read. */
function isWrite(entry: LogEntry): boolean {
  return entry.api === 'github' && WRITE_METHODS.has(entry.method)
}

function isJournalWrite(entry: LogEntry): boolean {
  return isWrite(entry) && (entry.method === 'POST' || entry.method === 'PATCH') && VARIABLES.test(entry.path)
}

/** A create after an update answered 404, or an update after a create answered 409/422: the store's fallback. */
function isFallbackOf(refused: LogEntry, next: LogEntry): boolean {
  return (
    isJournalWrite(refused) &&
    isJournalWrite(next) &&
    refused.method !== next.method &&
    (refused.status === 404 || refused.status === 409 || refused.status === 422) &&
    next.startedAt >= refused.endedAt
  )
}

function isSuccess(entry: LogEntry): boolean {
  return typeof entry.status === 'number' && entry.status >= 200 && entry.status < 300
}
