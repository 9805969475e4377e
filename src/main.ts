// Wiring: mask the credentials, parse the inputs, build the real clients, run the command,
// report. The one top-level catch is here, and every sink (log, outputs, job summary, the
// step's error) redacts by value every secret the run has seen.
import * as core from '@actions/core'
import { HANDLERS, type CommandDeps } from './commands/index.js'
import { JOB_TOKEN_STATE, jobTokenPost } from './commands/job-token.js'
import { errorMessage } from './errors.js'
import type { createOctokit } from './github/octokit.js'
import { createSecretsApi } from './github/secrets.js'
import { withRunContext, type RunContext } from './github/run-env.js'
import { createVariableStore } from './github/variables.js'
import { proxySettingsWarning, routeTo } from './net/fetch.js'
import type { SecretsApi } from './github/types.js'
import type { Command, Config } from './inputs/config.js'
import { parseInputs } from './inputs/index.js'
import { createPlanetScaleClient } from './planetscale/client.js'
import type { Credentials } from './planetscale/types.js'
import { createRedactor, type Redactor } from './redact.js'
import { jobSummaryWriter } from './report/job-summary.js'
import { failureSummary } from './report/summaries.js'
import { createWritePacer, type WritePacer } from './rotation/5-write-pacer.js'
import type { Logger } from './rotation/ports.js'

/** Sent to both APIs, so their logs can tell the action's requests apart. */
export const USER_AGENT = 'pscale-token-action/1'

/** After a cancellation, how long the pair in flight may take before its requests are aborted. */
const CANCEL_GRACE_MS = 5_000

/** Set by the main step for the post step: the same entry point tells the two apart by it. */
const IS_POST = 'isPost'

/** The secret inputs, masked before anything can print them. */
const SECRET_INPUTS = ['service-token', 'github-token'] as const

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  const redactor = createRedactor()
  const mask = (value: string): void => {
    if (value === '') return
    core.setSecret(value)
    redactor.add(value)
  }
  for (const name of SECRET_INPUTS) mask(core.getInput(name))
  const log = runnerLogger(redactor)
  if (core.getState(IS_POST) === 'true') return runPost(env, log, mask)
  // Saved first, so that the post step knows it is one even when the main step is killed.
  core.saveState(IS_POST, 'true')
  const appendSummary = jobSummaryWriter(env)

  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) log.warning(`${signal} received: finishing the pair in flight, then stopping.`)
    cancel.abort(new Error(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  let command: Command | undefined
  try {
    const github = await loadGitHub()
    const config = parseInputs((name) => core.getInput(name), withRunContext(env, github.run), new Date())
    command = config.command
    describeRoutes(config, env, log)
    const deps: CommandDeps = {
      ...createDeps(config, { cancel: cancel.signal, log, mask }, github),
      io: {
        setOutput: (name, value) => core.setOutput(name, redactor.redact(value)),
        setSecretOutput: (name, value) => {
          mask(value)
          core.setOutput(name, value)
        },
        exportVariable: (name, value) => core.exportVariable(name, value),
        saveState: (name, value) => core.saveState(name, value),
        appendSummary: (markdown) => appendSummary(redactor.redact(markdown))
      }
    }
    const result = await HANDLERS[config.command](config, deps)
    if (result.failure) core.setFailed(redactor.redact(result.failure))
    else if (cancel.signal.aborted) core.setFailed('The run was cancelled.')
  } catch (error) {
    const message = redactor.redact(errorMessage(error))
    core.setFailed(message)
    try {
      await appendSummary(failureSummary(command, error, message))
    } catch (summaryError) {
      log.warning(`Could not write the job summary: ${errorMessage(summaryError)}`)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * The post step (`runs.post`, `post-if: always()`): only `job-token` leaves it work, the deletion
 * of the job's token; for every other command it returns at once. It never fails the job.
 */
async function runPost(env: Record<string, string | undefined>, log: Logger, mask: (value: string) => void) {
  const state = (name: string) => core.getState(name)
  if (state(JOB_TOKEN_STATE.marker) === '') return
  try {
    const { run } = await loadGitHub()
    const config = parseInputs((name) => core.getInput(name), withRunContext(env, run), new Date())
    const planetscale = planetscaleClient(config, config.credentials, log, mask)
    await jobTokenPost(state, { planetscale, log, now: () => new Date() })
  } catch (error) {
    log.warning(`The post step could not delete this job's token: ${errorMessage(error)}`)
  }
}

interface GitHubModules {
  /** undefined when @actions/github could not load (see loadGitHub). */
  run: RunContext | undefined
  createOctokit: typeof createOctokit
}

/**
 * @actions/github, loaded after the secrets are masked and only here: when it loads it builds a
 * default client from GITHUB_API_URL and throws on one that is not a URL. The inputs are then
 * parsed without its context, so that such a value is reported as the input error it is; a
 * command that needs the client later gets the same explanation.
 */
async function loadGitHub(): Promise<GitHubModules> {
  try {
    const [context, octokit] = await Promise.all([import('./github/context.js'), import('./github/octokit.js')])
    return { run: context.runContext(), createOctokit: octokit.createOctokit }
  } catch (error) {
    const failed = (): never => {
      throw new Error(
        `@actions/github could not load (${errorMessage(error)}): check the runner variables GITHUB_API_URL ` +
          '(the API URL; GHES: https://HOST/api/v3) and HTTPS_PROXY (http://HOST:PORT).'
      )
    }
    return { run: undefined, createOctokit: failed }
  }
}

/**
 * Says which API goes through which proxy (or why the proxy settings cannot apply): the first
 * thing to check on a self-hosted runner.
 */
function describeRoutes(config: Config, env: Record<string, string | undefined>, log: Logger): void {
  const warning = proxySettingsWarning(env)
  if (warning) log.warning(warning)
  const apis: [string, string][] = [['PlanetScale', config.planetscaleApiUrl]]
  if (config.githubToken !== undefined) apis.push(['GitHub', config.githubApiUrl])
  for (const [name, url] of apis) {
    const { proxy } = routeTo(url)
    if (proxy) log.info(`${name} (${new URL(url).host}) is reached through the proxy ${proxy}.`)
  }
}

function runnerLogger(redactor: Redactor): Logger {
  return {
    info: (message) => core.info(redactor.redact(message)),
    warning: (message) => core.warning(redactor.redact(message)),
    debug: (message) => core.debug(redactor.redact(message))
  }
}

interface Runtime {
  cancel: AbortSignal
  log: Logger
  /** Masks a secret in the runner's log and registers it for redaction everywhere else. */
  mask(value: string): void
}

/** The real dependencies of a parsed configuration. */
function createDeps(config: Config, runtime: Runtime, modules: GitHubModules): Omit<CommandDeps, 'io'> {
  const { tuning } = config
  const { log } = runtime
  const pacer = createWritePacer({ spacingMs: tuning.writeSpacingMs })
  const planetscaleAs = (credentials: Credentials) => planetscaleClient(config, credentials, log, runtime.mask)
  const github =
    config.githubToken === undefined
      ? undefined
      : createGitHub(config, config.githubToken, log, pacer, modules.createOctokit)
  return {
    planetscale: planetscaleAs(config.credentials),
    planetscaleAs,
    secrets: github?.secrets ?? noSecrets,
    journal: github?.journal,
    githubTokenExpiresAt: () => github?.expiresAt(),
    log,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    cancel: runtime.cancel,
    pacer,
    writeSpacingMs: tuning.writeSpacingMs,
    writeConcurrency: tuning.writeConcurrency,
    verifyTimeoutMs: tuning.verifyTimeoutMs,
    cancelGraceMs: CANCEL_GRACE_MS
  }
}

/** PlanetScale as `credentials`, for the main step and the post step alike. */
function planetscaleClient(config: Config, credentials: Credentials, log: Logger, mask: (value: string) => void) {
  return createPlanetScaleClient({
    baseUrl: config.planetscaleApiUrl,
    organization: config.organization,
    credentials,
    // The secret of a new token is masked the instant it is parsed.
    onSecret: mask,
    log,
    userAgent: USER_AGENT,
    timeoutMs: config.tuning.requestTimeoutMs,
    baseDelayMs: config.tuning.retryBaseMs
  })
}

/** One GitHub client for the secrets and the journal, which also learns when its token expires. */
function createGitHub(
  config: Config,
  token: string,
  log: Logger,
  pacer: WritePacer,
  createOctokit: GitHubModules['createOctokit']
) {
  let expiresAt: Date | undefined
  const octokit = createOctokit({
    token,
    baseUrl: config.githubApiUrl,
    log,
    userAgent: USER_AGENT,
    // GitHub asked to wait: the other writes would be refused too.
    onRateLimitWait: (ms) => pacer.pause(ms),
    retryBaseMs: config.tuning.retryBaseMs,
    requestTimeoutMs: config.tuning.requestTimeoutMs,
    onTokenExpiration: (at) => {
      expiresAt = at
    }
  })
  return {
    secrets: createSecretsApi({ octokit, log }),
    journal: config.journal && createVariableStore({ octokit, location: config.journal, pacer }),
    expiresAt: () => expiresAt
  }
}

/** For the commands that write no secrets (the parser requires a github-token whenever there are targets). */
const noSecrets: SecretsApi = {
  prepare: () => Promise.reject(new Error('no targets configured')),
  findShadowedCopies: () => Promise.resolve({ copies: [], unchecked: [], notes: [] })
}
