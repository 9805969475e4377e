// What a rotate/create run did, for outputs, the job summary and the exit code.
import type { Grant } from '../types.js'
import type { TargetResult } from './write-targets.js'

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
  /** The new token was deleted again (compensation). */
  newTokenDeleted: boolean
  /** Non-empty: the run failed; each line says what happened and what to do. */
  problems: string[]
}

export function targetsWritten(report: RunReport): number {
  return report.targets.filter((t) => t.outcome === 'written').length
}
