// The printed result: one table of runs, then each target of the issue with its figure and a
// verdict, then the limits that are not the action's to fix.
import { auditLines, judgeAudit, type AuditFigures } from './audit.js'
import type { BundleSize, ColdStart } from './cold-start.js'
import { JOB_TOKEN_ACCESSES, type JobTokenFigures } from './job-token.js'
import type { RunFigures } from './run.js'
import {
  DEPTH_MIN,
  JOB_TOKEN,
  JOURNAL_FIXED_WRITES,
  PROTOCOL_ROUND_TRIPS,
  TARGETS,
  journalBudget,
  scaledLimitPerWindow,
  spacingMs,
  type BenchSettings
} from './settings.js'
import { median } from './metrics.js'
import { formatTable, ms, ratio } from './table.js'

export interface BenchReport {
  date: string
  machine: { node: string; cpu: string; cores: number; platform: string }
  settings: BenchSettings
  runs: RunFigures[]
  coldStart: ColdStart
  bundle: BundleSize
  /** `command: job-token`, main and post step (issue 13). */
  jobToken: JobTokenFigures
  /** `command: audit` at PlanetScale's limit (issue 14); absent with `--audit-tokens 0`. */
  audit?: AuditFigures
  benchSeconds: number
}

export interface Verdict {
  target: string
  measured: string
  verdict: 'PASS' | 'MISS' | 'n/a'
  note?: string
}

type FloorInput = Pick<RunFigures, 'targets' | 'ratePerMinute'> & {
  requests: Pick<RunFigures['requests'], 'journalWrites'>
}

/** The paced writes of a run: 2 secrets per target and the journal's writes, which share GitHub's write limit. */
export function pacedWrites(run: FloorInput): number {
  return 2 * run.targets + run.requests.journalWrites
}

/** max(depth_min × latency, writes / allowed write rate), ms. */
export function floorMs(run: FloorInput, latencyMs: number): number {
  return Math.max(DEPTH_MIN * latencyMs, pacedWrites(run) * spacingMs(run.ratePerMinute))
}

/**
 * What the protocol itself allows: between two paced writes, the spacing or the round trips the second one
 * waits for, whichever is longer (PROTOCOL_ROUND_TRIPS); among the target writes (the pairs and the journal's
 * batches of results) a target's token waits for its ID's answer. Tighter than floorMs when both terms matter.
 */
export function protocolFloorMs(run: FloorInput, latencyMs: number): number {
  const S = spacingMs(run.ratePerMinute)
  const L = latencyMs
  const R = PROTOCOL_ROUND_TRIPS
  const gap = (roundTrips: number) => Math.max(S, roundTrips * L)
  const amongTargets = 2 * run.targets + Math.max(0, run.requests.journalWrites - JOURNAL_FIXED_WRITES)
  return (
    R.beforeIntent * L +
    gap(R.intentToIdRecord) +
    gap(R.idRecordToFirstPut) +
    Math.max((amongTargets - 1) * S, (amongTargets - 2) * S + R.idToToken * L) +
    gap(R.lastPutToWritten) +
    gap(R.writtenToEnd) +
    R.afterEnd * L
  )
}

function seconds(value: number): string {
  return (value / 1000).toFixed(1)
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
    "Action runs: its defaults, so delete-previous 1h, and the journal in the rotation repository's variable, as a daily " +
      'schedule leaves it: it exists, and the token the previous rotation replaced is past its hour, so each run deletes ' +
      'that one (before create) and schedules its own old token. That is one delete a run, as with delete-previous: true ' +
      '(at the end instead), and what users run; the serial baseline deletes the old token at the end.',
    `depth = longest chain of requests each starting after the previous ended (min ${DEPTH_MIN}); span = first request start → last ` +
      "request end; proc = process start → exit; journal w/max = the journal's variable writes (POST/PATCH) / the " +
      'budget 3 + ⌈targets/10⌉; floor = max(depth_min × latency, (2 × targets + journal writes) / rate); proto floor = the least ' +
      'the protocol allows (each write waits for the spacing or for the round trips before it, whichever is longer); ' +
      'window = max over targets of token-PUT end − ID-PUT end (the emulator stores a write when it answers) / ' +
      'token-PUT end − ID-PUT start (bound).',
    ''
  )
  const header = [
    'scenario',
    'run',
    'targets',
    'journal w/max',
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
      String(run.targets),
      isAction(run) ? `${run.requests.journalWrites} / ${journalBudget(run.targets)}` : '-',
      `${run.requests.total} (${run.requests.planetscale}+${run.requests.github})`,
      String(run.depth),
      ms(run.spanMs),
      ms(run.processMs),
      ms(floorMs(run, L)),
      ratio(run.spanMs / floorMs(run, L)),
      isAction(run) ? ms(protocolFloorMs(run, L)) : '-',
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
  const before = coldStart.before
  if (before) {
    out.push(
      `Side by side with ${before.commit}'s bundle (before the proxy support), interleaved: cold start ` +
        `${ms(before.medianMs)} → ${ms(coldStart.medianMs)} ms (${ratio(coldStart.medianMs / before.medianMs)}×, ` +
        `+${ms(coldStart.medianMs - before.medianMs)} ms); bundle ${(before.size.bytes / 1e6).toFixed(2)} → ` +
        `${(bundle.bytes / 1e6).toFixed(2)} MB (${ratio(bundle.bytes / before.size.bytes)}×), gzipped ` +
        `${(before.size.gzipBytes / 1e6).toFixed(2)} → ${(bundle.gzipBytes / 1e6).toFixed(2)} MB.`
    )
  }
  for (const run of runs.filter((r) => !r.ok))
    out.push(`NOT OK: ${run.scenario}, ${run.variant}: ${run.problems.join('; ')}`)
  out.push('', ...jobTokenLines(report))
  if (report.audit) out.push('', ...auditLines(report.audit))

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
      verdict: one.depth <= TARGETS.depthOneTarget ? 'PASS' : 'MISS',
      note:
        one.depth <= TARGETS.depthOneTarget || DEPTH_MIN <= TARGETS.depthOneTarget
          ? undefined
          : `the protocol's own minimum is ${DEPTH_MIN} since the journal: check, create, grant, test, ID, token and ` +
            'one delete (7), plus a round trip before the check (the journal read, beside the request that proves ' +
            'the credentials), the journal\'s writes of intent, ID, "written" and end, ' +
            'the three reads that make sure no other run has taken the journal over (before create, before the ' +
            'first target, before "written"), and the read of the due token before its delete (last use).'
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
              ? ` Even the protocol's floor is ${ratio(reachable)} × floor here (each write waits for the round trips before it: the test, the journal's checks, a token for its ID's answer).`
              : '')
    })
  }

  for (const run of defaults) {
    const budget = journalBudget(run.targets)
    const others = actions.filter((t) => t.scenario === run.scenario && t !== run)
    const over = [run, ...others].filter((t) => t.requests.journalWrites > budget)
    verdicts.push({
      target: `journal writes <= 3 + ⌈targets/10⌉ = ${budget}: ${run.scenario}`,
      measured:
        `${run.requests.journalWrites}` +
        others.map((t) => ` (${t.variant.replace(/^action /, '')}: ${t.requests.journalWrites})`).join(''),
      verdict: over.length === 0 ? 'PASS' : 'MISS'
    })
  }

  const atGitHub = defaults.find((r) => r.scenario.startsWith('GitHub'))
  if (atGitHub) {
    const floor = floorMs(atGitHub, L)
    const r = atGitHub.spanMs / floor
    verdicts.push({
      target: `at GitHub's limits, span <= ${TARGETS.githubLimitsOverFloor} × floor with journal writes: ${atGitHub.scenario}`,
      measured:
        `${ratio(r)} (${seconds(atGitHub.spanMs)} / ${seconds(floor)} s; ` +
        `${2 * atGitHub.targets} secret + ${atGitHub.requests.journalWrites} journal writes)`,
      verdict: r <= TARGETS.githubLimitsOverFloor ? 'PASS' : 'MISS',
      note: r <= TARGETS.githubLimitsOverFloor ? undefined : floorNote(atGitHub, floor, L)
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

  verdicts.push(...judgeJobToken(report))
  if (report.audit) verdicts.push(...judgeAudit(report.audit))

  const hundred = runs.filter((r) => r.targets === 100)
  const base = hundred.find((r) => r.variant === 'baseline')
  const action100 = hundred.find((r) => r.variant === 'action')
  if (base && action100) {
    // The action's own floor: its writes include the journal's, which the baseline does not make.
    const floor = floorMs(action100, L)
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
          : `the write rate does not allow it: the action's floor ${ms(floor)} ms = baseline / ${ratio(possible)}.`
      })
    }
  }
  return verdicts
}

function jobTokenLines(report: BenchReport): string[] {
  const { jobToken } = report
  const L = report.settings.latencyMs
  const rows = (
    [
      ['main', jobToken.main, JOB_TOKEN.mainRoundTrips],
      ['post', jobToken.post, JOB_TOKEN.postRequests]
    ] as const
  ).map(([step, f, roundTrips]) => [
    jobToken.ok ? step : `${step} (FAILED)`,
    `${f.requests.planetscale} (${f.methods})`,
    String(f.depth),
    ms(f.spanMs),
    ms(f.processMs),
    `${ms(f.firstRequestMs)} / ${ms(f.exitMs)}`,
    ms(roundTrips * L),
    ratio(f.spanMs / (roundTrips * L))
  ])
  const lines = [
    `command: job-token (accesses \`${JOB_TOKEN_ACCESSES}\`), main step then post step, each its own process; ` +
      `start / exit = process start → first request / last request end → exit; floor = round trips × latency (main ${JOB_TOKEN.mainRoundTrips}, post ${JOB_TOKEN.postRequests}).`,
    formatTable(
      ['job-token', 'requests ps', 'depth', 'span ms', 'proc ms', 'start / exit ms', 'floor ms', 'span/floor'],
      rows
    )
  ]
  if (!jobToken.ok) lines.push(`NOT OK: job-token: ${jobToken.problems.join('; ')}`)
  return lines
}

function judgeJobToken(report: BenchReport): Verdict[] {
  const { main, post, ok } = report.jobToken
  const L = report.settings.latencyMs
  const mainFloor = JOB_TOKEN.mainRoundTrips * L
  const postFloor = JOB_TOKEN.postRequests * L
  const deletes = post.methods === 'DELETE 1'
  const failed = (pass: boolean): Verdict['verdict'] => (ok && pass ? 'PASS' : 'MISS')
  return [
    {
      target: `job-token main: critical-path depth <= ${JOB_TOKEN.mainRoundTrips}`,
      measured: `${main.depth} requests deep (${main.requests.total} requests: ${main.methods})`,
      verdict: failed(main.depth <= JOB_TOKEN.mainRoundTrips)
    },
    {
      target: `job-token main: span / floor (${JOB_TOKEN.mainRoundTrips} × ${L} ms)`,
      measured: `${ratio(main.spanMs / mainFloor)} (${ms(main.spanMs)} / ${ms(mainFloor)} ms)`,
      verdict: 'n/a',
      note: 'no bound in the issue beyond the depth and the second; the rest is client time between requests.'
    },
    {
      target: `job-token main under ${JOB_TOKEN.mainUnderMs / 1000} s at ${L} ms latency: span`,
      measured: `${ms(main.spanMs)} ms`,
      verdict: failed(main.spanMs < JOB_TOKEN.mainUnderMs)
    },
    {
      target: `job-token main under ${JOB_TOKEN.mainUnderMs / 1000} s at ${L} ms latency: process`,
      measured: `${ms(main.processMs)} ms (${ms(main.firstRequestMs)} before the first request, ${ms(main.exitMs)} after the last)`,
      verdict: failed(main.processMs < JOB_TOKEN.mainUnderMs)
    },
    {
      target: `job-token post: ${JOB_TOKEN.postRequests} request (a DELETE)`,
      measured: `${post.requests.total} (${post.methods || 'none'}), span ${ms(post.spanMs)} ms = ${ratio(post.spanMs / postFloor)} × ${ms(postFloor)}; process ${ms(post.processMs)} ms`,
      verdict: failed(post.requests.total === JOB_TOKEN.postRequests && deletes)
    }
  ]
}

function floorNote(run: RunFigures, floor: number, L: number): string {
  const S = spacingMs(run.ratePerMinute)
  const writes = pacedWrites(run)
  const { beforeWritesMs, writesMs, afterWritesMs } = run.phases
  const R = PROTOCOL_ROUND_TRIPS
  const split =
    `before the first write ${ms(beforeWritesMs)} ms (${R.beforeIntent} round trips = ${R.beforeIntent * L}), ` +
    `writes ${ms(writesMs)} ms (${writes}, the journal's included), after ${ms(afterWritesMs)} ms.`
  if (writes > 2 && writesMs / writes > S * 1.5) {
    return (
      `the writes were latency-bound, not rate-bound: ${ms(writesMs / writes)} ms each instead of one spacing (${S} ms). ` +
      `A target's token waits for its ID's answer (${L} ms round trip plus client time), and the journal's writes for ` +
      `the round trips before them, so only more targets in flight at once can fill the spacing. ${split}`
    )
  }
  const proto = protocolFloorMs(run, L)
  const overProto = proto > floor ? ` (${ms(run.spanMs - proto)} ms over the protocol's floor of ${ms(proto)})` : ''
  return `client-side time between requests: ${ms(run.spanMs - floor)} ms over the floor${overProto}; ${split}`
}

function outsideLimits(report: BenchReport): string[] {
  const { settings, runs } = report
  const writes100 = 200 + journalBudget(100)
  const lines = [
    `GitHub's write rate: at its guidance of one write a second (the action's default spacing) 100 targets = 200 secret ` +
      `writes + ${journalBudget(100)} journal writes take >= ${writes100} s (>= ${Math.ceil((writes100 * 60) / settings.githubLimitPerMinute)} s ` +
      `even at the hard ${settings.githubLimitPerMinute}/min limit), whatever the code does; N targets cost ` +
      `>= 2N + 3 + ⌈N/10⌉ s of runner time. The scaled scenarios above use ${settings.ratePerMinute}/min to stay within the bench's time.`,
    `Request latency: a target's token write can only start once its ID write has answered, so its window is at least one ` +
      `round trip (${settings.latencyMs} ms here), whatever the spacing.`
  ]
  const gh = runs.filter((r) => r.scenario.startsWith('GitHub'))
  const action = gh.find(isAction)
  const baseline = gh.find((r) => r.variant === 'baseline')
  if (action) {
    lines.push(
      `At GitHub's limits (${action.targets} repos, ${2 * action.targets} secret + ${action.requests.journalWrites} journal ` +
        `writes > ${settings.githubLimitPerMinute}/min): the action took ` +
        `${seconds(action.spanMs)} s (floor ${seconds(floorMs(action, settings.latencyMs))} s) with ` +
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
