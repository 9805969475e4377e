// `npm run bench`: the bundled action against the emulator with injected latency, next to a
// serial baseline; prints a table and the figures against the issue's targets, and writes
// the same as JSON under bench/results/. A script, not a test: nothing here asserts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { EmulatorOptions } from '../emulator/index.js'
import { setTestNode } from '../scripts/lib/run-bundle.js'
import { measureAudit } from './audit.js'
import { bundleSize, measureColdStart } from './cold-start.js'
import { measureJobToken } from './job-token.js'
import { printReport, type BenchReport } from './report.js'
import { measure, type RunFigures, type RunSpec } from './run.js'
import { MIXED_TARGETS, repoTargets } from './scenario.js'
import { journalBudget, parseArgs, scaledLimitPerWindow, spacingMs, type BenchSettings } from './settings.js'

const RESULTS = resolve(import.meta.dirname, 'results')

/** The scaled scenarios: 1, 10, 100 repositories and the mixed set, each as the action, the action one pair at a time, and the baseline. */
function scaledRuns(settings: BenchSettings): RunSpec[] {
  const emulator: EmulatorOptions = {
    latencyMs: settings.latencyMs,
    github: {
      writesPerMinute: scaledLimitPerWindow(settings),
      secondaryWindowMs: settings.windowMs
    }
  }
  const { ratePerMinute } = settings
  const spacing = String(spacingMs(ratePerMinute))
  const timeoutMs = 120_000
  const sets: [string, string[]][] = [
    ['1 repo', repoTargets(1)],
    ['10 repos', repoTargets(10)],
    ['100 repos', repoTargets(100)],
    ['mixed (6)', MIXED_TARGETS]
  ]
  return sets.flatMap(([scenario, targets]): RunSpec[] => [
    {
      scenario,
      variant: 'action',
      targets,
      emulator,
      ratePerMinute,
      runner: { kind: 'action', env: { PSCALE_ACTION_WRITE_SPACING_MS: spacing }, timeoutMs }
    },
    ...(targets.length > 1
      ? [
          {
            scenario,
            variant: `action k=${settings.compareConcurrency}`,
            targets,
            emulator,
            ratePerMinute,
            runner: {
              kind: 'action' as const,
              env: {
                PSCALE_ACTION_WRITE_SPACING_MS: spacing,
                PSCALE_ACTION_WRITE_CONCURRENCY: String(settings.compareConcurrency)
              },
              timeoutMs
            }
          }
        ]
      : []),
    { scenario, variant: 'baseline', targets, emulator, ratePerMinute, runner: { kind: 'baseline' } }
  ])
}

/** GitHub's own limits: the action with its default spacing, and the baseline, against 80 writes a minute. */
function githubRuns(settings: BenchSettings): RunSpec[] {
  if (settings.githubTargets === 0) return []
  const emulator: EmulatorOptions = {
    latencyMs: settings.latencyMs,
    github: { writesPerMinute: settings.githubLimitPerMinute, secondaryWindowMs: 60_000 }
  }
  const targets = repoTargets(settings.githubTargets)
  const scenario = `GitHub limits, ${targets.length} repos`
  // Generous: 2N secret writes and the journal's one second apart, plus room for waits GitHub asks for.
  const timeoutMs = (2 * targets.length + journalBudget(targets.length) + 60) * 1000
  const ratePerMinute = settings.githubAllowedPerMinute
  return [
    { scenario, variant: 'action', targets, emulator, ratePerMinute, runner: { kind: 'action', env: {}, timeoutMs } },
    { scenario, variant: 'baseline', targets, emulator, ratePerMinute, runner: { kind: 'baseline' } }
  ]
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2))
  // Every run of the bundle, the cold start's included, under Node 24: what the runner gives the action.
  const node = setTestNode()
  const started = performance.now()
  const runs: RunFigures[] = []
  const plan = [...scaledRuns(settings), ...githubRuns(settings)]
  // Unreported: the first run of each kind pays for this process's (and the emulator's) JIT and a cold file cache.
  process.stderr.write('bench: warming up...\n')
  for (const spec of plan.filter((p) => p.targets.length === 1)) await measure(spec)
  for (const spec of plan) {
    process.stderr.write(`bench: ${spec.scenario}, ${spec.variant}... `)
    const figures = await measure(spec)
    runs.push(figures)
    process.stderr.write(
      `${Math.round(figures.spanMs)} ms${figures.ok ? '' : ` (NOT OK: ${figures.problems.join('; ')})`}\n`
    )
  }
  process.stderr.write('bench: job-token, main and post... ')
  await measureJobToken(settings.latencyMs) // warm-up, unreported
  const jobToken = await measureJobToken(settings.latencyMs)
  process.stderr.write(
    `main ${Math.round(jobToken.main.spanMs)} ms, post ${Math.round(jobToken.post.spanMs)} ms` +
      `${jobToken.ok ? '' : ` (NOT OK: ${jobToken.problems.join('; ')})`}\n`
  )
  let audit
  if (settings.auditTokens > 0) {
    process.stderr.write(`bench: audit of ${settings.auditTokens} tokens at PlanetScale's limit... `)
    audit = await measureAudit(settings.latencyMs, settings.auditTokens)
    process.stderr.write(`${Math.round(audit.spanMs)} ms${audit.ok ? '' : ` (NOT OK: ${audit.problems.join('; ')})`}\n`)
  }
  process.stderr.write('bench: cold start...\n')
  const coldStart = await measureColdStart(settings.coldStartRuns, node)
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      node: `${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()} (the action; the bench itself ${process.version})`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      platform: process.platform
    },
    settings,
    runs,
    coldStart,
    bundle: bundleSize(),
    jobToken,
    audit,
    benchSeconds: 0
  }
  report.benchSeconds = (performance.now() - started) / 1000
  const verdicts = printReport(report)
  mkdirSync(RESULTS, { recursive: true })
  const file = resolve(RESULTS, `bench-${report.date.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify({ ...report, verdicts }, null, 2)}\n`)
  console.log(`\nResults: ${file}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
