// Step 7, report: what a rotate/create run did, for the outputs, the job summary and the exit code.
// The rendering lives in src/report/.
import type { ShadowCheck } from '../github/shadowing.js'
import type { Grant, ServiceToken } from '../planetscale/types.js'
import type { TargetResult } from './5-write-targets.js'

export interface TokenSummary {
  id: string
  name: string
  createdAt?: string
  expiresAt: string | null
}

export interface RunReport {
  command: 'rotate' | 'create'
  dryRun: boolean
  /** A new pair was written to every target (rotate) / at least one target (create). */
  rotated: boolean
  /** Why nothing was done (min-age skip, dry run). */
  skipped?: string
  previousToken?: TokenSummary
  newToken?: TokenSummary
  grants: Grant[]
  /** Lifetime the new token gets; undefined = no expiry. */
  ttlSeconds: number | undefined
  targets: TargetResult[]
  previousTokenDeleted: boolean
  /** When a later run deletes the replaced token (`delete-previous` a duration). */
  previousTokenRetiresAt?: string
  /** What this run finished or repaired of what earlier runs left (output `repaired`). */
  repaired: string[]
  /** Tokens this run deleted, or left for a later run to delete, one line each. */
  retired: string[]
  /** What the next run will do, one line each. */
  nextRun: string[]
  /** Same-named copies at scopes that override the targets', left as they are (warned about). */
  shadowing?: ShadowCheck
  /** Where the journal is kept, or 'none'. */
  journal: string
  /** The new token was deleted again (compensation). */
  newTokenDeleted: boolean
  /**
   * Non-empty: the run failed; each line says what happened and what to do. A target that does
   * not hold the new pair always comes with a line here; its own detail stays in `targets`.
   */
  problems: string[]
}

export function targetsWritten(report: RunReport): number {
  return report.targets.filter((t) => t.outcome === 'written').length
}

export function summarizeToken(token: ServiceToken, fallbackName = ''): TokenSummary {
  return {
    id: token.id,
    name: token.name ?? token.display_name ?? fallbackName,
    createdAt: token.created_at,
    expiresAt: token.expires_at ?? null
  }
}

/** A target's detail without the target's own label, which errors about it start with. */
export function targetDetail(target: TargetResult): string {
  return (target.detail ?? '').replaceAll(`${target.label}: `, '')
}

/**
 * What failed, for the step's error: each target that does not hold the new pair (those left
 * out after a cancellation included, once writing began), then the run's problems.
 */
export function failureLines(report: RunReport): string[] {
  const writingBegan = report.targets.some((t) => t.outcome !== 'skipped' && t.outcome !== 'planned')
  const failed = report.targets.filter(
    (t) => t.outcome !== 'written' && t.outcome !== 'planned' && (t.outcome !== 'skipped' || writingBegan)
  )
  return [
    ...failed.map((t) => `${t.label}: ${t.outcome}${t.detail ? ` — ${targetDetail(t)}` : ''}`),
    ...report.problems
  ]
}
