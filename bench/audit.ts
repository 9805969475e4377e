// `command: audit` (issue 14): an audit of an organization of N service tokens (500 by default),
// a process of the bundle against the emulator with the bench's latency, at PlanetScale's own
// limit of 600 requests a minute. The action reads one list page per 100 tokens, then each token
// (its accesses), 8 at a time and 100 ms apart: its floor is requests / 10 a second.
import { performance } from 'node:perf_hooks'
import { startEmulator, type LogEntry } from '../emulator/index.js'
import { findLeaks, runAction } from '../scripts/lib/run-bundle.js'
import { AUDIT_PACE } from '../src/commands/audit.js'
import { countRequests, criticalPathDepth, span, type RequestCounts } from './metrics.js'
import { ORG } from './scenario.js'
import { formatTable, ms, ratio } from './table.js'
import type { Verdict } from './report.js'

/** PlanetScale's documented limit, and what the issue allows over the floor. */
export const AUDIT = { limitPerMinute: 600, spanOverFloor: 1.1, tokensPerPage: 100 } as const

export interface AuditFigures {
  /** Exit 0, the findings the seed makes, nothing deleted or leaked. */
  ok: boolean
  problems: string[]
  tokens: number
  requests: RequestCounts
  /** The list pages and the reads of each token. */
  pages: number
  reads: number
  depth: number
  /** First request start → last request end, ms. */
  spanMs: number
  /** requests × the action's spacing, ms. */
  floorMs: number
  processMs: number
  /** Most requests started within any 60 s, and within any 1 s. */
  maxPerMinute: number
  maxPerSecond: number
  findings: number
}

const DAY = 86_400_000
const HOUR = 3_600_000

/**
 * `tokens` tokens (the audit's own among them), four kinds in five with one finding each: fresh,
 * stale, unused, without expiry, and a job token left over.
 */
export async function measureAudit(latencyMs: number, tokens: number): Promise<AuditFigures> {
  const emu = await startEmulator({ latencyMs })
  try {
    emu.planetscale.addOrganization(ORG, { databases: ['app-db'] })
    const self = emu.planetscale.addToken(ORG, {
      name: 'platform/audit',
      ttlSeconds: 90 * 86_400,
      accesses: [{ organization: true, access: ['read_service_tokens'] }]
    })
    const now = Date.now()
    const at = (ago: number) => new Date(now - ago)
    const read = [{ database: 'app-db', access: ['read_branch'] }]
    let expected = 0
    for (let i = 1; i < tokens; i++) {
      const kind = i % 5
      const hex = i.toString(16).padStart(10, '0')
      if (kind !== 0) expected++
      emu.planetscale.addToken(ORG, {
        name: kind === 4 ? `github-actions/acme/api/run-${i}-1 r-${hex}` : `ci/service-${i}`,
        createdAt: at(kind === 1 ? 120 * DAY : kind === 2 ? 60 * DAY : kind === 4 ? 3 * HOUR : 10 * DAY),
        lastUsedAt: at(kind === 2 ? 45 * DAY : kind === 4 ? 2.5 * HOUR : HOUR),
        ...(kind === 3 ? {} : { ttlSeconds: kind === 4 ? 3600 : 365 * 86_400 }),
        accesses: read
      })
    }
    emu.clearLog()
    const started = performance.now()
    const run = await runAction(
      {
        organization: ORG,
        command: 'audit',
        'service-token-id': self.id,
        'service-token': self.token,
        'planetscale-api-url': emu.planetscaleUrl
      },
      { timeoutMs: (tokens * AUDIT_PACE.spacingMs + 60_000) * 2 }
    )
    const processMs = performance.now() - started
    const log = [...emu.log]
    const problems: string[] = []
    if (run.code !== 0) problems.push(`exit ${run.code ?? run.signal}`)
    const findings = Number(run.outputs['findings-count'] ?? NaN)
    if (findings !== expected) problems.push(`${findings} findings, expected ${expected}`)
    if (log.some((e) => e.method !== 'GET')) problems.push('a request that changes something')
    problems.push(...findLeaks(run, emu.planetscale.tokenSecrets()))
    const pages = log.filter((e) => /\/service-tokens$/.test(e.path)).length
    const reads = log.length - pages
    if (pages !== Math.ceil(tokens / AUDIT.tokensPerPage)) problems.push(`${pages} list pages`)
    if (reads !== tokens) problems.push(`${reads} token reads for ${tokens} tokens`)
    return {
      ok: problems.length === 0,
      problems,
      tokens,
      requests: countRequests(log),
      pages,
      reads,
      depth: criticalPathDepth(log),
      spanMs: span(log),
      floorMs: log.length * AUDIT_PACE.spacingMs,
      processMs,
      maxPerMinute: maxStartedWithin(log, 60_000),
      maxPerSecond: maxStartedWithin(log, 1000),
      findings
    }
  } finally {
    await emu.stop()
  }
}

/** The most requests that started within any window of `windowMs`. */
function maxStartedWithin(log: readonly LogEntry[], windowMs: number): number {
  const starts = log.map((e) => e.startedAt).sort((a, b) => a - b)
  let most = 0
  for (let first = 0, last = 0; last < starts.length; last++) {
    while (starts[last]! - starts[first]! >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

export function auditLines(audit: AuditFigures): string[] {
  const row = [
    audit.ok ? String(audit.tokens) : `${audit.tokens} (FAILED)`,
    `${audit.requests.total} (${audit.pages} pages + ${audit.reads} reads)`,
    ms(audit.spanMs),
    ms(audit.floorMs),
    ratio(audit.spanMs / audit.floorMs),
    ms(audit.processMs),
    `${audit.maxPerMinute} / ${audit.maxPerSecond}`,
    String(audit.findings)
  ]
  const lines = [
    `command: audit of an organization's tokens at PlanetScale's limit (${AUDIT.limitPerMinute} requests a minute): ` +
      `one list page per ${AUDIT.tokensPerPage} tokens, one read per token, ${AUDIT_PACE.concurrency} at a time, ` +
      `${AUDIT_PACE.spacingMs} ms apart; floor = requests × ${AUDIT_PACE.spacingMs} ms.`,
    formatTable(
      ['audit tokens', 'requests', 'span ms', 'floor ms', 'span/floor', 'proc ms', 'busiest min / s', 'findings'],
      [row]
    )
  ]
  if (!audit.ok) lines.push(`NOT OK: audit: ${audit.problems.join('; ')}`)
  return lines
}

export function judgeAudit(audit: AuditFigures): Verdict[] {
  const verdict = (pass: boolean): Verdict['verdict'] => (audit.ok && pass ? 'PASS' : 'MISS')
  return [
    {
      target: `audit of ${audit.tokens} tokens: at most ${AUDIT.limitPerMinute} requests in any minute`,
      measured: `${audit.maxPerMinute} in the busiest minute (${audit.maxPerSecond} in the busiest second)`,
      verdict: verdict(audit.maxPerMinute <= AUDIT.limitPerMinute)
    },
    {
      target: `audit of ${audit.tokens} tokens: span / floor (requests / 10 a second) <= ${AUDIT.spanOverFloor}`,
      measured: `${ratio(audit.spanMs / audit.floorMs)} (${ms(audit.spanMs)} / ${ms(audit.floorMs)} ms)`,
      verdict: verdict(audit.spanMs / audit.floorMs <= AUDIT.spanOverFloor)
    }
  ]
}
