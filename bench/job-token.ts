// `command: job-token` (issue 13, "Cost"): the main step and its post step, each a process of the
// bundle, against the emulator with the bench's latency. The main step: the organizations, the
// action's own token, create, grant (in parallel), test: at most JOB_TOKEN.mainRoundTrips round
// trips; the post step: one delete of the job's token.
import { performance } from 'node:perf_hooks'
import { findLeaks, runAction } from '../scripts/lib/run-bundle.js'
import { countRequests, criticalPathDepth, span, type RequestCounts } from './metrics.js'
import { ROTATION_REPO, startBenchScenario } from './scenario.js'

export const JOB_TOKEN_ACCESSES = 'database=app-db read_branch'

export interface StepFigures {
  requests: RequestCounts
  /** e.g. "GET 2, POST 3". */
  methods: string
  depth: number
  /** First request start → last request end, ms. */
  spanMs: number
  /** Process start → exit, ms. */
  processMs: number
  /** Process start → first request start, ms. */
  firstRequestMs: number
  /** Last request end → process exit, ms. */
  exitMs: number
}

export interface JobTokenFigures {
  /** Both steps exited 0, the token worked after main and is gone after post, nothing leaked. */
  ok: boolean
  problems: string[]
  main: StepFigures
  post: StepFigures
}

export async function measureJobToken(latencyMs: number): Promise<JobTokenFigures> {
  const s = await startBenchScenario([], { latencyMs })
  try {
    const { targets: _targets, 'github-token': _github, 'github-api-url': _githubUrl, ...planetscaleInputs } = s.inputs
    const inputs = { ...planetscaleInputs, command: 'job-token', accesses: JOB_TOKEN_ACCESSES }
    const env = { GITHUB_REPOSITORY: ROTATION_REPO }
    const problems: string[] = []

    let started = performance.now()
    const mainStarted = started
    const main = await runAction(inputs, { env, timeoutMs: 30_000 })
    const mainProcessMs = performance.now() - started
    const mainLog = [...s.emu.log]
    if (main.code !== 0) problems.push(`main: exit ${main.code ?? main.signal}`)
    const id = main.outputs['token-id'] ?? ''
    const token = main.outputs.token ?? ''
    if (!id || !s.emu.planetscale.authenticates({ id, token }))
      problems.push("main: the job's token does not authenticate")

    started = performance.now()
    const post = await runAction(inputs, { env, timeoutMs: 30_000, postOf: main })
    const postProcessMs = performance.now() - started
    const postStarted = started
    const postLog = s.emu.log.slice(mainLog.length)
    if (post.code !== 0) problems.push(`post: exit ${post.code ?? post.signal}`)
    if (id && s.emu.planetscale.isAlive(id)) problems.push("post: the job's token is still alive")
    if (!s.emu.planetscale.isAlive(s.token.id)) problems.push("the action's own token was deleted")
    const secrets = s.secrets()
    problems.push(...findLeaks({ ...main, outputs: {} }, secrets).map((leak) => `main: ${leak}`))
    problems.push(...findLeaks(post, secrets).map((leak) => `post: ${leak}`))

    const figures = (log: typeof mainLog, startedAt: number, processMs: number): StepFigures => {
      const first = Math.min(...log.map((e) => e.startedAt))
      const last = Math.max(...log.map((e) => e.endedAt))
      return {
        requests: countRequests(log),
        methods: methods(log),
        depth: criticalPathDepth(log),
        spanMs: span(log),
        processMs,
        firstRequestMs: log.length > 0 ? first - startedAt : Number.NaN,
        exitMs: log.length > 0 ? startedAt + processMs - last : Number.NaN
      }
    }
    return {
      ok: problems.length === 0,
      problems,
      main: figures(mainLog, mainStarted, mainProcessMs),
      post: figures(postLog, postStarted, postProcessMs)
    }
  } finally {
    await s.emu.stop()
  }
}

function methods(log: readonly { method: string }[]): string {
  const counts = new Map<string, number>()
  for (const { method } of log) counts.set(method, (counts.get(method) ?? 0) + 1)
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([method, n]) => `${method} ${n}`)
    .join(', ')
}
