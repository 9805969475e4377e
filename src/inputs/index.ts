// Reads every input once, validates all of them, and returns the typed Config.
// Nothing here talks to an API: an input error stops the run before any change.
import { InputError } from '../errors.js'
import type { Grant } from '../planetscale/types.js'
import type { Config } from './config.js'
import { parseAccesses } from './accesses.js'
import { parseAudit } from './audit.js'
import { parseBoolean } from './booleans.js'
import { parseCommand } from './command.js'
import { parseGithubToken, parseServiceToken } from './credentials.js'
import { checkTtlFloor, parseJobTokenTtl, parseMinAge, parseTtl } from './durations.js'
import { parseDeletePrevious } from './delete-previous.js'
import { parseOrganization, parseTokenId } from './identifiers.js'
import { parseJournal } from './journal.js'
import {
  checkDistinctSecretNames,
  DEFAULT_ID_SECRET_NAME,
  DEFAULT_TOKEN_SECRET_NAME,
  parseSecretName
} from './secret-names.js'
import { parseTargets, type TargetSpec } from './targets.js'
import { quote } from './text.js'
import { formatTime } from '../report/format.js'
import { fillTokenName } from './token-name.js'
import { readTuning } from './tuning.js'
import { parseApiUrl } from './urls.js'

export const DEFAULT_PLANETSCALE_API_URL = 'https://api.planetscale.com/v1'
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'
/** A job token is named after the run it serves, so the audit log and `list` show which one. */
export const JOB_TOKEN_NAME = 'github-actions/{repository}/run-{run_id}-{run_attempt}'

export type ReadInput = (name: string) => string
export type InputEnv = Record<string, string | undefined>

function envValue(env: InputEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** `SERVER/OWNER/REPO/actions/runs/ID/attempts/N`, or undefined when a part is missing or not what a runner sets. */
function runPage(env: InputEnv, repository: string | undefined): string | undefined {
  const server = envValue(env, 'GITHUB_SERVER_URL')?.replace(/\/+$/, '')
  const runId = envValue(env, 'GITHUB_RUN_ID')
  const attempt = envValue(env, 'GITHUB_RUN_ATTEMPT') ?? '1'
  if (!server || !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(server)) return undefined
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository)) return undefined
  if (!runId || !/^\d+$/.test(runId) || !/^\d+$/.test(attempt)) return undefined
  return `${server}/${repository}/actions/runs/${runId}/attempts/${attempt}`
}

function resolveTargets(raw: string, repository: string | undefined): TargetSpec[] {
  if (raw.trim() !== '') {
    const targets = parseTargets(raw)
    if (targets.length === 0) {
      throw new InputError('targets', 'holds only comments: name at least one target, e.g. "repo:acme/api"')
    }
    return targets
  }
  if (repository === undefined) {
    throw new InputError('targets', 'is empty and GITHUB_REPOSITORY is not set: set targets, e.g. "repo:acme/api"')
  }
  try {
    return parseTargets(`repo:${repository}`)
  } catch {
    throw new InputError(
      'targets',
      `is empty and GITHUB_REPOSITORY ${quote(repository)} is not OWNER/REPO: set targets, e.g. "repo:acme/api"`
    )
  }
}

function resolveAccesses(command: Config['command'], raw: string): Grant[] | undefined {
  if (command === 'list' || command === 'delete' || command === 'audit') return undefined
  const grants = parseAccesses(raw)
  if (grants.length > 0) return grants
  if (command === 'create' || command === 'job-token') {
    throw new InputError(
      'accesses',
      `is required for command "${command}": one grant a line, ` +
        'e.g. "database=app-db read_branch connect_branch" or "organization read_databases"'
    )
  }
  // rotate: empty means copy the old token's accesses.
  return undefined
}

/**
 * @param read an input's raw value, '' when unset (main passes `name => core.getInput(name)`)
 * @param env GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_API_URL and the PSCALE_ACTION_* knobs
 *   are read from it
 * @param now fills `{date}` in `token-name`
 * @throws InputError on the first invalid input
 */
export function parseInputs(read: ReadInput, env: InputEnv, now: Date): Config {
  const command = parseCommand(read('command'))
  const organization = parseOrganization(read('organization'))
  const credentials = {
    id: parseTokenId('service-token-id', read('service-token-id')),
    token: parseServiceToken(read('service-token'))
  }

  const tokenIdRaw = read('token-id')
  const tokenIdExplicit = tokenIdRaw.trim() !== ''
  if (command === 'delete' && !tokenIdExplicit) {
    throw new InputError(
      'token-id',
      'is required for command "delete": give the ID of the token to delete ' +
        '(to delete the token the action authenticates with, set it to service-token-id explicitly)'
    )
  }
  const tokenId = tokenIdExplicit ? parseTokenId('token-id', tokenIdRaw) : credentials.id

  const repository = envValue(env, 'GITHUB_REPOSITORY')
  const writesSecrets = command === 'rotate' || command === 'create'
  if (command === 'job-token' && read('targets').trim() !== '') {
    throw new InputError(
      'targets',
      'is not used by command "job-token": the token goes to this job only (environment variables and ' +
        'the `token` output), never to a secret. Remove targets, or use command "create" to store a token.'
    )
  }
  const targets = writesSecrets ? resolveTargets(read('targets'), repository) : []
  const githubToken = targets.length > 0 ? parseGithubToken(read('github-token')) : undefined

  const idSecretName = parseSecretName('id-secret-name', read('id-secret-name'), DEFAULT_ID_SECRET_NAME)
  const tokenSecretName = parseSecretName('token-secret-name', read('token-secret-name'), DEFAULT_TOKEN_SECRET_NAME)
  checkDistinctSecretNames(idSecretName, tokenSecretName)

  const runAttempt = envValue(env, 'GITHUB_RUN_ATTEMPT') ?? '1'
  const runNumber = envValue(env, 'GITHUB_RUN_ID') ?? 'local'
  const tokenName = fillTokenName(read('token-name') || (command === 'job-token' ? JOB_TOKEN_NAME : ''), {
    date: formatTime(now),
    repository: repository ?? 'local',
    run_id: runNumber,
    run_attempt: runAttempt
  })
  const accesses = resolveAccesses(command, read('accesses'))

  const ttl = command === 'job-token' ? parseJobTokenTtl(read('ttl')) : parseTtl(read('ttl'))
  if (writesSecrets) checkTtlFloor(ttl, read('ttl'))
  const minAgeSeconds = parseMinAge(read('min-age'))
  if (command === 'rotate' && ttl.kind === 'seconds' && ttl.seconds < minAgeSeconds) {
    throw new InputError(
      'ttl',
      `${quote(read('ttl').trim())} is shorter than min-age ${quote(read('min-age').trim())}: ` +
        'every new token would expire within min-age, ' +
        'so each scheduled run would find it expiring and rotate it anyway; use a ttl at least as long as min-age'
    )
  }

  const journal = writesSecrets ? parseJournal(read('journal'), repository, idSecretName) : undefined
  const deletePrevious = parseDeletePrevious(read('delete-previous'), writesSecrets && journal === undefined)
  const dryRun = parseBoolean('dry-run', read('dry-run'), false)
  const audit = parseAudit(command, read)

  const planetscaleApiUrl = parseApiUrl(
    'planetscale-api-url',
    read('planetscale-api-url').trim() || DEFAULT_PLANETSCALE_API_URL
  )
  const githubApiUrlInput = read('github-api-url').trim()
  const githubApiEnv = envValue(env, 'GITHUB_API_URL')
  const githubApiUrl =
    githubApiUrlInput !== ''
      ? parseApiUrl('github-api-url', githubApiUrlInput)
      : githubApiEnv !== undefined
        ? parseApiUrl('github-api-url', githubApiEnv, 'GITHUB_API_URL')
        : DEFAULT_GITHUB_API_URL

  return {
    command,
    organization,
    credentials,
    tokenId,
    tokenIdExplicit,
    targets,
    githubToken,
    idSecretName,
    tokenSecretName,
    tokenName,
    accesses,
    ttl,
    minAgeSeconds,
    deletePrevious,
    journal,
    runId: `${runNumber}/${runAttempt}`,
    runUrl: runPage(env, repository),
    exportEnv: parseBoolean('export-env', read('export-env'), true),
    audit,
    dryRun,
    planetscaleApiUrl,
    githubApiUrl,
    tuning: readTuning(env)
  }
}
