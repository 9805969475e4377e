// One measured run: a fresh seeded emulator, the bundled action (child process) or the
// baseline (in this process), and the figures read back from the emulator's request log.
import { performance } from 'node:perf_hooks'
import type { EmulatorOptions } from '../emulator/index.js'
import { findLeaks, runAction } from '../scripts/lib/run-bundle.js'
import { runBaseline } from './baseline.js'
import {
  countRequests,
  criticalPathDepth,
  pairWindows,
  phases,
  span,
  type Phases,
  type RequestCounts
} from './metrics.js'
import {
  ID_NAME,
  ORG,
  ROTATION_REPO,
  TOKEN_NAME,
  journalText,
  rotationProblems,
  startBenchScenario
} from './scenario.js'

export type Runner = { kind: 'action'; env: Record<string, string>; timeoutMs: number } | { kind: 'baseline' }

export interface RunSpec {
  /** Scenario name, e.g. "100 repos". */
  scenario: string
  /** Variant name, e.g. "action", "action k=8", "baseline". */
  variant: string
  targets: readonly string[]
  emulator: EmulatorOptions
  /** The write rate the run is allowed (its floor): the action's spacing is 60000 / rate. */
  ratePerMinute: number
  runner: Runner
}

export interface RunFigures {
  scenario: string
  variant: string
  targets: number
  ratePerMinute: number
  /**
   * Exit 0 (baseline: no failure), every target holds a working new pair, no leak; the action: the due token
   * deleted, the old one scheduled in the journal; the baseline: the old token deleted.
   */
  ok: boolean
  problems: string[]
  requests: RequestCounts
  depth: number
  /** First request start → last request end, ms. */
  spanMs: number
  /** Process start → exit (action only), ms. */
  processMs: number | undefined
  /** Process start → first request (action only), ms. */
  firstRequestMs: number | undefined
  secondaryLimitHits: number
  /** Largest over all targets; NaN when no target completed a pair. */
  windowEffectiveMs: number
  windowBoundMs: number
  /** Targets whose ID and token PUTs both succeeded. */
  pairsInLog: number
  phases: Phases
}

export async function measure(spec: RunSpec): Promise<RunFigures> {
  const s = await startBenchScenario(spec.targets, spec.emulator)
  try {
    const problems: string[] = []
    let processMs: number | undefined
    let firstRequestMs: number | undefined
    const started = performance.now()
    if (spec.runner.kind === 'action') {
      const run = await runAction(s.inputs, {
        // The default journal lives in the rotation repository's variables: the one the scenario seeded.
        env: { GITHUB_REPOSITORY: ROTATION_REPO, ...spec.runner.env },
        timeoutMs: spec.runner.timeoutMs
      })
      processMs = performance.now() - started
      firstRequestMs = s.emu.log.length > 0 ? Math.min(...s.emu.log.map((e) => e.startedAt)) - started : undefined
      if (run.code !== 0) problems.push(`exit ${run.code ?? run.signal}: ${lastLine(run.stdout)}`)
      problems.push(...findLeaks(run, s.secrets()))
      // The journal holds IDs, names and times, never a token value.
      const journal = journalText(s) ?? ''
      if (s.secrets().some((secret) => secret && journal.includes(secret))) problems.push('the journal holds a secret')
    } else {
      const result = await runBaseline({
        planetscaleUrl: s.emu.planetscaleUrl,
        githubUrl: s.emu.githubUrl,
        organization: ORG,
        credentials: s.token,
        githubToken: s.githubToken,
        targets: s.targets,
        idName: ID_NAME,
        tokenName: TOKEN_NAME
      })
      if (!result.ok) problems.push(`failed after ${result.targetsWritten} target(s): ${result.failure ?? ''}`)
    }
    if (problems.length === 0) problems.push(...rotationProblems(s, spec.runner.kind))
    const log = [...s.emu.log]
    const windows = pairWindows(log, ID_NAME, TOKEN_NAME)
    return {
      scenario: spec.scenario,
      variant: spec.variant,
      targets: spec.targets.length,
      ratePerMinute: spec.ratePerMinute,
      ok: problems.length === 0,
      problems,
      requests: countRequests(log),
      depth: criticalPathDepth(log),
      spanMs: span(log),
      processMs,
      firstRequestMs,
      secondaryLimitHits: s.emu.github.secondaryLimitHits,
      windowEffectiveMs: windows.length ? Math.max(...windows.map((w) => w.effectiveMs)) : Number.NaN,
      windowBoundMs: windows.length ? Math.max(...windows.map((w) => w.boundMs)) : Number.NaN,
      pairsInLog: windows.length,
      phases: phases(log)
    }
  } finally {
    await s.emu.stop()
  }
}

/** The failure line the action printed (its ::error:: annotation), never more. */
function lastLine(stdout: string): string {
  const errors = stdout.split('\n').filter((line) => line.startsWith('::error'))
  return (errors.at(-1) ?? '').slice(0, 200)
}
