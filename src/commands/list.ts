import type { Config } from '../config.js'
import { code, table } from '../report/markdown.js'
import { formatAge } from '../rotation/rotate.js'
import type { ServiceToken } from '../types.js'
import type { CommandDeps, CommandResult } from './io.js'

const OLD_AFTER_DAYS = 90

export async function listCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  const tokens = await deps.planetscale.listTokens()
  const now = deps.now()
  // Only these fields leave the process: a list or get never carries a secret, but be explicit.
  const listed = tokens.map((t) => ({
    id: t.id,
    name: t.name ?? t.display_name ?? null,
    created_at: t.created_at,
    expires_at: t.expires_at ?? null,
    last_used_at: t.last_used_at ?? null
  }))
  deps.io.setOutput('tokens', JSON.stringify(listed))
  const old = tokens.filter((t) => ageDays(t, now) > OLD_AFTER_DAYS)
  deps.log.info(`${tokens.length} service token(s) in ${config.organization}.`)
  for (const t of tokens) deps.log.info(`  ${t.id}  ${t.name ?? '(unnamed)'}  created ${t.created_at}  expires ${t.expires_at ?? 'never'}`)
  for (const t of old) {
    deps.log.warning(`Token ${t.id} (${t.name ?? 'unnamed'}) is ${Math.floor(ageDays(t, now))} days old: rotate it (PlanetScale recommends at least every ${OLD_AFTER_DAYS} days).`)
  }
  await deps.io.appendSummary(listSummary(config.organization, tokens, now))
  return {}
}

function ageDays(token: ServiceToken, now: Date): number {
  return (now.getTime() - Date.parse(token.created_at)) / 86_400_000
}

function listSummary(organization: string, tokens: ServiceToken[], now: Date): string {
  const rows = tokens.map((t) => [
    code(t.id),
    t.name ?? t.display_name ?? '',
    formatAge((now.getTime() - Date.parse(t.created_at)) / 1000),
    t.expires_at ?? 'never',
    t.last_used_at ?? 'never',
    ageDays(t, now) > OLD_AFTER_DAYS ? `⚠️ older than ${OLD_AFTER_DAYS} days: rotate` : ''
  ])
  return [
    `## PlanetScale service tokens in ${organization}`,
    '',
    table(['ID', 'Name', 'Age', 'Expires', 'Last used', ''], rows),
    ''
  ].join('\n')
}
