// `list`: the organization's tokens, with a warning for those due for rotation.
import type { Config } from '../inputs/config.js'
import { listOutputs } from '../report/outputs.js'
import { ROTATE_AFTER_DAYS, dueForRotation, listSummary } from '../report/summaries.js'
import type { CommandDeps, CommandResult } from './index.js'

export async function listCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  const tokens = await deps.planetscale.listTokens()
  const now = deps.now()
  for (const [name, value] of Object.entries(listOutputs(tokens))) deps.io.setOutput(name, value)
  deps.log.info(`${tokens.length} service token(s) in ${config.organization}.`)
  for (const t of tokens) {
    deps.log.info(`  ${t.id}  ${t.name ?? '(unnamed)'}  created ${t.created_at}  expires ${t.expires_at ?? 'never'}`)
  }
  for (const t of tokens.filter((token) => dueForRotation(token, now))) {
    const days = Math.floor((now.getTime() - Date.parse(t.created_at)) / 86_400_000)
    deps.log.warning(
      `Token ${t.id} (${t.name ?? 'unnamed'}) is ${days} days old: rotate it ` +
        `(PlanetScale recommends at least every ${ROTATE_AFTER_DAYS} days).`
    )
  }
  await deps.io.appendSummary(listSummary(config.organization, tokens, now))
  return {}
}
