// The printed result: one table of runs, then each target of the issue with its figure and a
// verdict, then the limits that are not the action's to fix.
import type { BundleSize, ColdStart } from './cold-start.js'
import type { RunFigures } from './run.js'
import { DEPTH_MIN, TARGETS, scaledLimitPerWindow, spacingMs, type BenchSettings } from './settings.js'
import { median } from './metrics.js'
import { formatTable, ms, ratio } from './table.js'

export interface BenchReport {
  date: string
  machine: { node: string; cpu: string; cores: number; platform: string }
  settings: BenchSettings
  runs: RunFigures[]
  coldStart: ColdStart
  bundle: BundleSize
  benchSeconds: number
}

export interface Verdict {
  target: string
  measured: string
  verdict: 'PASS' | 'MISS' | 'n/a'
  note?: string
}

/** max(depth_min × latency, writes / allowed write rate), ms. */
export function floorMs(run: Pick<RunFigures, 'targets' | 'ratePerMinute'>, latencyMs: number): number {
  return Math.max(DEPTH_MIN * latencyMs, 2 * run.targets * spacingMs(run.ratePerMinute))
}

/**
 * What the protocol itself allows: writes wait for check, create, grant and test (4 round trips);
 * the 2N writes are spaced, and a target's token write waits for its ID write's answer; the
 * last write takes a round trip; the delete waits for it. Tighter than floorMs when both terms matter.
 */
export function protocolFloorMs(run: Pick<RunFigures, 'targets' | 'ratePerMinute'>, latencyMs: number): number {
  const S = spacingMs(run.ratePerMinute)
  const writes = 2 * run.targets
  return 6 * latencyMs + Math.max((writes - 1) * S, (writes - 2) * S + latencyMs)
}

function baselineOf(runs: readonly RunFigures[], run: RunFigures): RunFigures | undefined {
  return runs.find((r) => r.scenario === run.scenario && r.variant === 'baseline')
}

function isAction(run: RunFigures): boolean {
  return run.variant.startsWith('action')
}

export function printReport(report: BenchReport): Verdict[] {
  const { settings, runs } = report
  const L = settings.latencyMs
  const S = spacingMs(settings.ratePerMinute)
  const out: string[] = []
  out.push(
    `pscale-token-action bench, ${report.date}: node ${report.machine.node}, ${report.machine.cores} × ${report.machine.cpu}`,
    `Latency ${L} ms on every request of both APIs. Scaled scenarios: allowed write rate ${settings.ratePerMinute}/min ` +
      `(emulator: ${scaledLimitPerWindow(settings)} writes per ${settings.windowMs} ms sliding window, the allowed rate with GitHub's ` +
      `margin of ${settings.githubLimitPerMinute}/${settings.githubAllowedPerMinute}; 100 concurrent; action spacing ${S} ms; pairs in flight: the action's default, ` +
      `or k=${settings.compareConcurrency}).`
  )
  if (settings.githubTargets > 0) {
    out.push(
      `GitHub limits: emulator ${settings.githubLimitPerMinute} writes per 60 s sliding window (content-creation limit), ` +
        `action defaults (spacing 1000 ms = ${settings.githubAllowedPerMinute}/min, GitHub's guidance); floor at ${settings.githubAllowedPerMinute}/min.`
    )
  }
  out.push(
    `depth = longest chain of requests each starting after the previous ended (min ${DEPTH_MIN}); span = first request start → last ` +
      'request end; proc = process start → exit; floor = max(depth_min × latency, writes / rate); proto floor = the least the ' +
      'protocol allows (writes wait for the test, the delete for the last write); window = max over targets of ' +
      'token-PUT end − ID-PUT end (the emulator stores a write when it answers) / token-PUT end − ID-PUT start (bound).',
    ''
  )
  const header = [
    'scenario',
    'run',
    'requests ps+gh',
    'depth',
    'span ms',
    'proc ms',
    'floor ms',
    'span/floor',
    'proto floor',
    '2nd-limit',
    'window ms',
    'vs baseline'
  ]
  const rows = runs.map((run) => {
    const baseline = isAction(run) ? baselineOf(runs, run) : undefined
    return [
      run.scenario,
      run.ok ? run.variant : `${run.variant} (FAILED)`,
      `${run.requests.total} (${run.requests.planetscale}+${run.requests.github})`,
      String(run.depth),
      ms(run.spanMs),
      ms(run.processMs),
      ms(floorMs(run, L)),
      ratio(run.spanMs / floorMs(run, L)),
      ms(protocolFloorMs(run, L)),
      String(run.secondaryLimitHits),
      `${ms(run.windowEffectiveMs)} / ${ms(run.windowBoundMs)}`,
      !baseline ? '' : baseline.ok ? `${ratio(baseline.spanMs / run.spanMs)}×` : 'baseline failed'
    ]
  })
  out.push(formatTable(header, rows), '')
  const { coldStart, bundle } = report
  const firsts = runs.flatMap((r) => (r.firstRequestMs === undefined ? [] : [r.firstRequestMs]))
  out.push(
    `Cold start (process start → first request, ${coldStart.runs.length} dry runs): median ${ms(coldStart.medianMs)} ms ` +
      `(min ${ms(coldStart.minMs)}, max ${ms(coldStart.maxMs)}); Node alone (node -e fetch) ${ms(coldStart.nodeFloorMedianMs)} ms; ` +
      `in the measured action runs above: median ${ms(median(firsts))} ms (max ${ms(Math.max(...firsts))}).`,
    `Bundle dist/index.js: ${(bundle.bytes / 1e6).toFixed(2)} MB (${(bundle.gzipBytes / 1e6).toFixed(2)} MB gzipped).`
  )
  for (const run of runs.filter((r) => !r.ok))
    out.push(`NOT OK: ${run.scenario}, ${run.variant}: ${run.problems.join('; ')}`)

  const verdicts = judge(report)
  out.push(
    '',
    formatTable(
      ['target', 'measured', 'verdict'],
      verdicts.map((v) => [v.target, v.measured, v.verdict])
    )
  )
  const notes = verdicts.filter((v) => v.note)
  if (notes.length > 0) out.push('', ...notes.map((v) => `- ${v.target}: ${v.note}`))
  out.push('', 'Limits outside the action:', ...outsideLimits(report).map((line) => `- ${line}`))
  out.push('', `Bench time: ${report.benchSeconds.toFixed(0)} s.`)
  console.log(out.join('\n'))
  return verdicts
}

function judge(report: BenchReport): Verdict[] {
  const { settings, runs } = report
  const L = settings.latencyMs
  const defaults = runs.filter((r) => r.variant === 'action')
  const actions = runs.filter(isAction)
  const verdicts: Verdict[] = []

  const one = defaults.find((r) => r.targets === 1)
  if (one) {
    verdicts.push({
      target: `1 target: critical-path depth <= ${TARGETS.depthOneTarget}`,
      measured: `${one.depth} requests deep`,
      verdict: one.depth <= TARGETS.depthOneTarget ? 'PASS' : 'MISS'
    })
  }

  const hit = defaults.filter((r) => r.secondaryLimitHits > 0)
  const otherHits = actions.filter((r) => !defaults.includes(r) && r.secondaryLimitHits > 0)
  verdicts.push({
    target: 'zero secondary-limit responses (action defaults, any N)',
    measured:
      hit.length === 0
        ? `0 in ${defaults.length} runs`
        : hit.map((r) => `${r.scenario}: ${r.secondaryLimitHits}`).join(', '),
    verdict: hit.length === 0 ? 'PASS' : 'MISS',
    note:
      otherHits.length === 0
        ? undefined
        : `the k=${settings.compareConcurrency} runs (not the default) got ${otherHits.map((r) => `${r.secondaryLimitHits} in ${r.scenario}`).join(', ')}: ` +
          `writes reached GitHub as little as ${otherHits.map((r) => ms(r.phases.minWriteGapMs)).join('/')} ms apart although spaced ` +
          `${spacingMs(settings.ratePerMinute)} ms when sent.`
  })

  for (const run of defaults) {
    const floor = floorMs(run, L)
    const r = run.spanMs / floor
    const other = actions.find((t) => t.scenario === run.scenario && t !== run)
    const reachable = protocolFloorMs(run, L) / floor
    verdicts.push({
      target: `span <= ${TARGETS.wallOverFloor} × floor: ${run.scenario}`,
      measured: `${ratio(r)}${other ? ` (k=${settings.compareConcurrency}: ${ratio(other.spanMs / floor)})` : ''}`,
      verdict: r <= TARGETS.wallOverFloor ? 'PASS' : 'MISS',
      note:
        r <= TARGETS.wallOverFloor
          ? undefined
          : floorNote(run, floor, L) +
            (reachable > TARGETS.wallOverFloor
              ? ` Even the protocol's floor is ${ratio(reachable)} × floor here (writes wait for the test, the delete for the last write).`
              : '')
    })
  }

  for (const run of defaults) {
    const S = spacingMs(run.ratePerMinute)
    const pass = run.windowEffectiveMs <= S + TARGETS.windowJitterMs
    verdicts.push({
      target: `ID-to-token window <= one spacing (${S} ms): ${run.scenario}`,
      measured: `${ms(run.windowEffectiveMs)} ms (bound ${ms(run.windowBoundMs)})`,
      verdict: pass ? 'PASS' : 'MISS',
      note: pass
        ? undefined
        : L > S
          ? `impossible at this rate: the token PUT is sent once the ID PUT has answered and takes its own round trip, so the window ` +
            `is at least the latency (${L} ms), ${L - S} ms over the spacing; the action adds ${ms(run.windowEffectiveMs - L)} ms on top.`
          : `the action adds ${ms(run.windowEffectiveMs - S)} ms over one spacing.`
    })
  }

  const { coldStart, bundle } = report
  verdicts.push({
    target: `cold start to first request <= ${TARGETS.coldStartMs} ms`,
    measured: `${ms(coldStart.medianMs)} ms median (Node alone ${ms(coldStart.nodeFloorMedianMs)})`,
    verdict: coldStart.medianMs <= TARGETS.coldStartMs ? 'PASS' : 'MISS'
  })
  verdicts.push({
    target: `bundle <= ${TARGETS.bundleBytes / 1e6} MB`,
    measured: `${(bundle.bytes / 1e6).toFixed(2)} MB`,
    verdict: bundle.bytes <= TARGETS.bundleBytes ? 'PASS' : 'MISS'
  })

  const hundred = runs.filter((r) => r.targets === 100)
  const base = hundred.find((r) => r.variant === 'baseline')
  if (base) {
    const floor = floorMs(base, L)
    const possible = base.spanMs / floor
    const allows = possible >= TARGETS.speedupAt100
    for (const run of hundred.filter(isAction)) {
      const speedup = base.spanMs / run.spanMs
      verdicts.push({
        target: `>= ${TARGETS.speedupAt100}× the serial baseline at 100 targets: ${run.variant}`,
        measured: `${ratio(speedup)}× (${ms(base.spanMs)} / ${ms(run.spanMs)} ms; the rate allows ${ratio(possible)}×)`,
        verdict: !allows ? 'n/a' : speedup >= TARGETS.speedupAt100 ? 'PASS' : 'MISS',
        note: allows
          ? undefined
          : `the write rate does not allow it: floor ${ms(floor)} ms = baseline / ${ratio(possible)}.`
      })
    }
  }
  return verdicts
}

function floorNote(run: RunFigures, floor: number, L: number): string {
  const S = spacingMs(run.ratePerMinute)
  const writes = 2 * run.targets
  const { beforeWritesMs, writesMs, afterWritesMs } = run.phases
  const split = `before writes ${ms(beforeWritesMs)} ms (4 round trips = ${4 * L}), writes ${ms(writesMs)} ms, after ${ms(afterWritesMs)} ms.`
  if (writes > 2 && writesMs / writes > S * 1.5) {
    return (
      `the writes were latency-bound, not rate-bound: ${ms(writesMs / writes)} ms each instead of one spacing (${S} ms). ` +
      `A target's token waits for its ID's answer (${L} ms round trip plus client time), so only more targets in flight ` +
      `at once can fill the spacing. ${split}`
    )
  }
  const proto = protocolFloorMs(run, L)
  const overProto = proto > floor ? ` (${ms(run.spanMs - proto)} ms over the protocol's floor of ${ms(proto)})` : ''
  return `client-side time between requests: ${ms(run.spanMs - floor)} ms over the floor${overProto}; ${split}`
}

function outsideLimits(report: BenchReport): string[] {
  const { settings, runs } = report
  const lines = [
    `GitHub's write rate: at its guidance of one write a second (the action's default spacing) 100 targets = 200 writes ` +
      `take >= 200 s (>= 150 s even at the hard ${settings.githubLimitPerMinute}/min limit), whatever the code does; ` +
      `N targets cost >= 2N s of runner time. The scaled scenarios above use ${settings.ratePerMinute}/min to stay within the bench's time.`,
    `Request latency: a target's token write can only start once its ID write has answered, so its window is at least one ` +
      `round trip (${settings.latencyMs} ms here), whatever the spacing.`
  ]
  const gh = runs.filter((r) => r.scenario.startsWith('GitHub'))
  const action = gh.find(isAction)
  const baseline = gh.find((r) => r.variant === 'baseline')
  if (action) {
    lines.push(
      `At GitHub's limits (${action.targets} repos, ${2 * action.targets} writes > ${settings.githubLimitPerMinute}/min): the action took ` +
        `${(action.spanMs / 1000).toFixed(1)} s (floor ${(floorMs(action, settings.latencyMs) / 1000).toFixed(1)} s) with ` +
        `${action.secondaryLimitHits} secondary-limit answer(s).`
    )
  }
  if (baseline) {
    lines.push(
      `The serial baseline against the same limit: ${baseline.ok ? 'completed' : baseline.problems.join('; ')}, ` +
        `${baseline.secondaryLimitHits} secondary-limit answer(s); it is faster than the action at GitHub's rate only because it ignores the limit.`
    )
  }
  return lines
}
