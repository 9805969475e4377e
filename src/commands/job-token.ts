// `job-token`: a least-privilege token for the job that runs the action, deleted by the action's
// post step when the job ends (passed, failed or cancelled); its ttl bounds its life if even that
// cannot run. What the post step needs is saved before anything is created, so a main step killed
// right after the create still leaves the post step able to find the token by its name.
import { RotationError } from '../errors.js'
import type { Config } from '../inputs/config.js'
import type { PlanetScaleApi } from '../planetscale/types.js'
import { jobTokenSummary } from '../report/summaries.js'
import { hasMarker, nameWithMarker, newMarker } from '../rotation/0-journal.js'
import { check } from '../rotation/1-check.js'
import { discard, newToken } from '../rotation/2-new-token.js'
import { deleteTokens } from '../rotation/6-retire-previous.js'
import type { Logger } from '../rotation/ports.js'
import type { CommandDeps, CommandResult } from './index.js'

/** Names of the values the main step saves for the post step (`core.saveState`). */
export const JOB_TOKEN_STATE = { marker: 'job-token-marker', id: 'job-token-id', expiresAt: 'job-token-expires-at' }

export async function jobTokenCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  const { log, io } = deps
  const marker = newMarker()
  const name = nameWithMarker(config.tokenName, marker)
  io.saveState(JOB_TOKEN_STATE.marker, marker)
  const organizations = await deps.planetscale.listOrganizations()
  const checked = await check(deps, {
    organization: config.organization,
    organizations,
    actionTokenId: config.credentials.id,
    tokenId: undefined,
    targets: [],
    secretNames: [],
    accesses: config.accesses
  })
  if (deps.cancel.aborted) throw new RotationError('The job was cancelled before the token was created.')
  const ttlSeconds = config.ttl.kind === 'seconds' ? config.ttl.seconds : undefined
  const created = await newToken(deps, {
    name,
    ttlSeconds,
    grants: checked.grants,
    onCreated: async (token) => {
      io.saveState(JOB_TOKEN_STATE.id, token.id)
      io.saveState(JOB_TOKEN_STATE.expiresAt, token.expires_at ?? '')
    }
  })
  if (deps.cancel.aborted) {
    const deleted = await discard(deps, created.id, 'the job was cancelled')
    throw new RotationError(
      `The job was cancelled; its token ${created.id} was ${deleted ? 'deleted again' : 'not handed out'}` +
        (deleted ? '.' : ' (the post step deletes it).')
    )
  }
  if (config.exportEnv) {
    io.exportVariable(config.idSecretName, created.id)
    io.exportVariable(config.tokenSecretName, created.token)
    log.info(`Exported ${config.idSecretName} and ${config.tokenSecretName} to the job's later steps.`)
  }
  io.setOutput('token-id', created.id)
  io.setSecretOutput('token', created.token)
  io.setOutput('expires-at', created.expires_at ?? '')
  log.info(`Token ${created.id} is this job's; the action's post step deletes it when the job ends.`)
  await io.appendSummary(jobTokenSummary(created, name, checked.grants, config))
  return {}
}

/**
 * The post step: deletes the job's token, whether the job passed, failed or was cancelled. With
 * only the marker saved (the main step was killed around the create), the token is found by name.
 * Never fails the job: a token it cannot delete is named, with the expiry that bounds its life.
 */
export async function jobTokenPost(
  state: (name: string) => string,
  deps: { planetscale: PlanetScaleApi; log: Logger; now: () => Date }
): Promise<void> {
  const marker = state(JOB_TOKEN_STATE.marker)
  if (marker === '') return
  const { log, planetscale } = deps
  let ids = [state(JOB_TOKEN_STATE.id)].filter((id) => id !== '')
  if (ids.length === 0) {
    try {
      ids = (await planetscale.listTokens()).filter((t) => hasMarker(t.name, marker)).map((t) => t.id)
    } catch (error) {
      log.warning(
        `Could not list the tokens to find this job's (${marker}): ${(error as Error).message} ` +
          'If the main step created one, its ttl ends it; `command: list` shows it by that name.'
      )
      return
    }
    if (ids.length === 0) {
      log.info('The main step created no token: nothing to delete.')
      return
    }
  }
  const result = await deleteTokens(deps, planetscale, ids, 'the job is over', () => undefined)
  const expiresAt = state(JOB_TOKEN_STATE.expiresAt)
  for (const failure of result.failed) {
    log.warning(
      `Could not delete this job's token ${failure.id}: ${failure.message} It stays valid until ` +
        `${expiresAt || 'its ttl ends'}; delete it with \`command: delete\` and \`token-id: ${failure.id}\`.`
    )
  }
}
