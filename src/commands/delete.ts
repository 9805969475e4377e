// `delete`: one token, never the action's own unless asked for by ID.
import { InputError } from '../errors.js'
import type { Config } from '../inputs/config.js'
import { deleteSummary } from '../report/summaries.js'
import type { CommandDeps, CommandResult } from './index.js'

export async function deleteCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  const self = config.tokenId === config.credentials.id
  // Deleting the token the action runs with locks the workflow out: only on explicit request.
  if (self && !config.tokenIdExplicit) {
    throw new InputError(
      'token-id',
      'give the ID of the token to delete; the action will not delete its own token by default.'
    )
  }
  if (self)
    deps.log.warning(`Deleting the token the action authenticates with (${config.tokenId}), as requested by token-id.`)
  const result = await deps.planetscale.deleteToken(config.tokenId)
  // PlanetScale answers 404 for a token that never existed too: a typo must not pass as success silently.
  const text =
    result === 'deleted'
      ? `Deleted token ${config.tokenId}.`
      : `Token ${config.tokenId} was not found in organization ${config.organization}: ` +
        'it was already deleted, or token-id is wrong (check with `command: list`).'
  if (result === 'deleted') deps.log.info(text)
  else deps.log.warning(text)
  await deps.io.appendSummary(deleteSummary(text, config.tokenId))
  return {}
}
