// What the bench runs with. Defaults keep `npm run bench` under four minutes on a 2-core machine (the audit, at
// PlanetScale's real limit, takes one of them).

export interface BenchSettings {
  /** Added to every request of both APIs, ms. */
  latencyMs: number
  /** The allowed write rate of the scaled scenarios, writes per minute; the action's spacing is 60000 / rate. */
  ratePerMinute: number
  /**
   * The emulator's sliding window for the scaled limit (GitHub's is a minute; scaled down so the limit can bite within a
   * run). The limit itself stands to the allowed rate as GitHub's hard limit to its guidance (80 to 60 a minute).
   */
  windowMs: number
  /** PSCALE_ACTION_WRITE_CONCURRENCY of the comparison variant (1: one pair at a time, as before pipelining). */
  compareConcurrency: number
  /** Repository targets of the run at GitHub's own limits (0 skips it): > 40 so its 2N writes exceed 80 a minute. */
  githubTargets: number
  /** GitHub's hard limit for content-creating requests, per minute. */
  githubLimitPerMinute: number
  /** GitHub's guidance ("at least one second between writes") = the action's default spacing. */
  githubAllowedPerMinute: number
  coldStartRuns: number
  /** Tokens in the organization `command: audit` reads, at PlanetScale's own limit (0 skips it). */
  auditTokens: number
}

export const DEFAULTS: BenchSettings = {
  latencyMs: 50,
  ratePerMinute: 6000,
  windowMs: 1000,
  compareConcurrency: 1,
  githubTargets: 41,
  githubLimitPerMinute: 80,
  githubAllowedPerMinute: 60,
  coldStartRuns: 5,
  auditTokens: 500
}

/**
 * The protocol as the bench runs it (the default `delete-previous`, with the journal a daily run leaves: see
 * scenario.ts), in round trips that must follow one another around the paced GitHub writes. The journal's writes
 * take the write pacer's turns like the secret writes, so the round trips between two writes overlap the spacing.
 */
export const PROTOCOL_ROUND_TRIPS = {
  /** The journal read beside the request that proves the credentials; check (every read in parallel); the
   * journal read again just before the intent (never written over a newer record). */
  beforeIntent: 3,
  /** The intent write; is the journal still ours; the previous rotation's token, now due: read, delete; create. */
  intentToIdRecord: 5,
  /** The journal write of the new token's ID; grant (in parallel); test (in parallel); is the journal still ours. */
  idRecordToFirstPut: 4,
  /** A target's token write waits for its ID write's answer. */
  idToToken: 1,
  /** The last secret write; is the journal still ours. */
  lastPutToWritten: 2,
  /** The "every target written" journal write (the old token is scheduled, not deleted). */
  writtenToEnd: 1,
  /** The journal's last write. */
  afterEnd: 1
} as const

/** The protocol's minimum sequential depth: every round trip above, one after another (17). */
export const DEPTH_MIN = Object.values(PROTOCOL_ROUND_TRIPS).reduce((sum, n) => sum + n, 0)

/** The journal's writes a run makes that are not target results: intent, the new token's ID, "written", the end. */
export const JOURNAL_FIXED_WRITES = 4

/** The issue's budget for the journal: at most 3 + ⌈targets / 10⌉ variable writes a run. */
export function journalBudget(targets: number): number {
  return 3 + Math.ceil(targets / 10)
}

export const TARGETS = {
  depthOneTarget: 8,
  wallOverFloor: 1.2,
  coldStartMs: 150,
  bundleBytes: 2_000_000,
  speedupAt100: 5,
  /** Issue 11: at GitHub's own limits, span within this of the floor with the journal's writes counted. */
  githubLimitsOverFloor: 1.1,
  /** Timer granularity allowed on top of one spacing when judging the ID-to-token window. */
  windowJitterMs: 5
} as const

/** Issue 13, "Cost": `command: job-token`, its main step and its post step. */
export const JOB_TOKEN = {
  /** Organizations, the action's own token, create, grant (in parallel), test (in parallel). */
  mainRoundTrips: 5,
  /** The post step: one delete of the job's token. */
  postRequests: 1,
  /** The whole main step against the emulator with the bench's latency. */
  mainUnderMs: 1000
} as const

/** The emulator's scaled secondary limit, writes per sliding window: the allowed rate with GitHub's margin. */
export function scaledLimitPerWindow(settings: BenchSettings): number {
  const allowedPerWindow = (settings.ratePerMinute * settings.windowMs) / 60_000
  return Math.floor((allowedPerWindow * settings.githubLimitPerMinute) / settings.githubAllowedPerMinute)
}

export function spacingMs(ratePerMinute: number): number {
  return 60_000 / ratePerMinute
}

const FLAGS: Record<string, keyof BenchSettings> = {
  '--latency': 'latencyMs',
  '--rate': 'ratePerMinute',
  '--window': 'windowMs',
  '--compare-concurrency': 'compareConcurrency',
  '--github-targets': 'githubTargets',
  '--cold-runs': 'coldStartRuns',
  '--audit-tokens': 'auditTokens'
}

export function parseArgs(argv: readonly string[]): BenchSettings {
  const settings = { ...DEFAULTS }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    if (flag === '--quick') {
      settings.githubTargets = 0
      settings.auditTokens = 100
      continue
    }
    const key = FLAGS[flag]
    const value = Number(argv[++i])
    if (!key || !Number.isInteger(value) || value < 0) {
      throw new Error(
        `usage: npm run bench -- [--quick] ${Object.keys(FLAGS)
          .map((f) => `[${f} N]`)
          .join(' ')}`
      )
    }
    settings[key] = value
  }
  if (settings.compareConcurrency < 1 || settings.compareConcurrency > 20)
    throw new Error("--compare-concurrency must be 1 to 20 (the knob's range)")
  if (settings.windowMs < 1) throw new Error('--window must be at least 1 ms')
  if (!Number.isInteger(spacingMs(settings.ratePerMinute))) {
    throw new Error(
      `--rate must divide 60000 (the action's spacing is a whole number of ms), got ${settings.ratePerMinute}`
    )
  }
  return settings
}
