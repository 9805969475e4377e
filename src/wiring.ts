// Builds the real dependencies for a parsed configuration.
import * as core from '@actions/core'
import type { Config } from './config.js'
import type { CommandDeps } from './commands/io.js'
import { createPlanetScaleClient } from './planetscale/client.js'
import { createOctokit } from './github/octokit.js'
import { createSecretsApi } from './github/secrets.js'
import type { Credentials, Logger, SecretsApi } from './types.js'
import { InputError } from './errors.js'
import { readTuning, type Tuning } from './tuning.js'
import { createWritePacer, type WritePacer } from './rotation/write-pacer.js'

const USER_AGENT = 'pscale-token-action/1'

export const logger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message)
}

export function createDeps(config: Config, cancel: AbortSignal, env: Record<string, string | undefined>): CommandDeps {
  const tuning = readTuning(env)
  const pacer = createWritePacer({ spacingMs: tuning.writeSpacingMs })
  const planetscaleAs = (credentials: Credentials) =>
    createPlanetScaleClient({
      baseUrl: config.planetscaleApiUrl,
      organization: config.organization,
      credentials,
      // The secret of a new token is masked the instant it is parsed.
      onSecret: (value) => core.setSecret(value),
      log: logger,
      userAgent: USER_AGENT,
      timeoutMs: tuning.requestTimeoutMs,
      baseDelayMs: tuning.retryBaseMs
    })
  return {
    planetscale: planetscaleAs(config.credentials),
    planetscaleAs,
    secrets: config.targets.length > 0 ? createSecrets(config, tuning, pacer) : noSecrets,
    log: logger,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    cancel,
    pacer,
    writeConcurrency: tuning.writeConcurrency,
    verifyTimeoutMs: tuning.verifyTimeoutMs,
    cancelGraceMs: 5_000,
    io: {
      setOutput: (name, value) => core.setOutput(name, value),
      appendSummary: async (markdown) => {
        if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write()
      }
    }
  }
}

function createSecrets(config: Config, tuning: Tuning, pacer: WritePacer): SecretsApi {
  if (!config.githubToken) throw new InputError('github-token', 'required when there are targets.')
  const octokit = createOctokit({
    token: config.githubToken,
    baseUrl: config.githubApiUrl,
    log: logger,
    userAgent: USER_AGENT,
    // GitHub asked to wait: the other writes would be refused too.
    onRateLimitWait: (ms) => pacer.pause(ms),
    retryBaseMs: tuning.retryBaseMs,
    requestTimeoutMs: tuning.requestTimeoutMs
  })
  return createSecretsApi({ octokit, log: logger })
}

const noSecrets: SecretsApi = {
  prepare: () => Promise.reject(new Error('no targets configured'))
}
