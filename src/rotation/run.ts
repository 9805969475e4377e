// What one rotate or create run carries from step to step: its dependencies (re-bound when step 0
// re-pairs the credentials), its configuration, the journal, the report, and what it learnt.
import type { Config } from '../inputs/config.js'
import type { Credentials } from '../planetscale/types.js'
import type { Journal } from './0-journal.js'
import type { RunReport } from './7-report.js'
import type { ProtocolDeps } from './ports.js'

type CommonConfig = Pick<
  Config,
  | 'organization'
  | 'credentials'
  | 'targets'
  | 'idSecretName'
  | 'tokenSecretName'
  | 'tokenName'
  | 'accesses'
  | 'ttl'
  | 'dryRun'
  | 'deletePrevious'
  | 'runId'
>
export type RotateConfig = CommonConfig & Pick<Config, 'tokenId' | 'minAgeSeconds'>
export type CreateConfig = CommonConfig

export interface RunState {
  /** PlanetScale as the credentials that work. */
  deps: ProtocolDeps
  readonly config: RotateConfig
  readonly command: 'rotate' | 'create'
  journal: Journal
  readonly report: RunReport
  /** The credentials that work (re-paired from the journal when the ones given were refused). */
  credentials: Credentials
  /** Tokens of earlier rotations that some target may still hold: retired once every target holds ours. */
  readonly replaced: Set<string>
  /** The given pair was refused and re-paired from the journal: a target may hold a half-written pair. */
  repairedCredentials: boolean
  /** Another run owns the journal now: this run must not write it again. */
  backedOff: boolean
  /** Targets may hold the new token from here on. */
  writingBegan: boolean
  /** The journal changed in memory (an earlier rotation was closed): even a skipping run writes it. */
  journalChanged: boolean
}

export function emptyReport(config: RotateConfig, command: RunState['command']): RunReport {
  return {
    command,
    dryRun: config.dryRun,
    rotated: false,
    grants: [],
    ttlSeconds: undefined,
    targets: config.targets.map((t) => ({ label: t.label, outcome: 'skipped' })),
    previousTokenDeleted: false,
    newTokenDeleted: false,
    repaired: [],
    retired: [],
    nextRun: [],
    journal: 'none',
    problems: []
  }
}

/** The run's last journal write: its failure is reported, not thrown (targets may be written already). */
export async function saveAtEnd(run: RunState): Promise<void> {
  try {
    await run.journal.save()
  } catch (error) {
    run.report.problems.push(
      `${(error as Error).message} The next run finds the journal as this run last wrote it and finishes the job.`
    )
  }
}
