// The job summary of every command. It holds IDs, names, times and results, never a token value
// (and every sink redacts by value on top). Each detail appears once: a target's in the targets
// table, the run's problems under "What to do".
import { InputError } from '../errors.js'
import { uncheckedLines, type ShadowCheck } from '../github/shadowing.js'
import type { Command, Config } from '../inputs/config.js'
import type { Grant, ServiceToken } from '../planetscale/types.js'
import type { TargetOutcome } from '../rotation/5-write-targets.js'
import { describeGrants } from '../rotation/accesses.js'
import { targetDetail, type RunReport } from '../rotation/7-report.js'
import { formatAge, formatTime } from './format.js'
import { SUMMARY_TITLES } from './job-summary.js'
import { code, table } from './markdown.js'

const OUTCOME_TEXT: Record<TargetOutcome, string> = {
  written: '✅ new pair written',
  restored: '⚠️ failed, old pair restored',
  unchanged: '⚠️ failed, unchanged (old pair)',
  skipped: '⏭️ not written (old pair)',
  uncertain: '⚠️ uncertain: may hold either pair (next run rewrites it)',
  broken: '❌ inconsistent: the next run repairs it',
  planned: '📝 would be written'
}

/** PlanetScale's advice: rotate service tokens at least this often. */
export const ROTATE_AFTER_DAYS = 90

/** Older than PlanetScale's advice: warned about in `list`'s log and summary alike. */
export function dueForRotation(token: ServiceToken, now: Date): boolean {
  return now.getTime() - Date.parse(token.created_at) > ROTATE_AFTER_DAYS * 86_400_000
}

export function runSummary(report: RunReport, names: { idSecretName: string; tokenSecretName: string }): string {
  const lines: string[] = [`## ${SUMMARY_TITLES[report.command]}`, '', statusLine(report), '']
  const facts: [string, string][] = []
  if (report.previousToken) {
    facts.push(['Previous token', `${code(report.previousToken.id)} ${report.previousToken.name}`])
    facts.push(['Previous token deleted', report.previousTokenDeleted ? 'yes' : 'no'])
    if (report.previousTokenRetiresAt)
      facts.push(['Previous token retires', `${formatTime(report.previousTokenRetiresAt)} (a later run deletes it)`])
  }
  if (report.newToken) {
    facts.push(['New token', `${code(report.newToken.id)} ${report.newToken.name}`])
    facts.push(['Expires', report.newToken.expiresAt ? formatTime(report.newToken.expiresAt) : 'never'])
    if (report.newTokenDeleted) facts.push(['New token deleted again', 'yes (no target uses it)'])
  } else if (report.dryRun || report.skipped) {
    facts.push(['New token lifetime', report.ttlSeconds === undefined ? 'no expiry' : formatAge(report.ttlSeconds)])
  }
  facts.push(['Secrets', `${code(names.idSecretName)}, ${code(names.tokenSecretName)}`])
  facts.push(['Journal', report.journal === 'none' ? 'none' : code(report.journal)])
  lines.push(...facts.map(([what, value]) => `- **${what}**: ${value}`), '')
  lines.push('### Accesses', '', ...describeGrants(report.grants).map((g) => `- ${g}`), '')
  const rows = report.targets.map((t) => [t.label, OUTCOME_TEXT[t.outcome], targetDetail(t)])
  lines.push('### Targets', '', table(['Target', 'Result', 'Detail'], rows), '')
  if (report.shadowing) lines.push(...shadowingSection(report.shadowing))
  if (report.repaired.length > 0) lines.push('### Repaired', '', ...report.repaired.map((p) => `- ${p}`), '')
  if (report.retired.length > 0) lines.push('### Retired', '', ...report.retired.map((p) => `- ${p}`), '')
  if (report.nextRun.length > 0) lines.push('### The next run', '', ...report.nextRun.map((p) => `- ${p}`), '')
  if (report.problems.length > 0) lines.push('### What to do', '', ...report.problems.map((p) => `- ${p}`), '')
  return lines.join('\n')
}

/** Copies that override the targets (warned about), and the lists the check could not read; nothing when neither. */
function shadowingSection(shadowing: ShadowCheck): string[] {
  const unchecked = uncheckedLines(shadowing).map(({ line }) => `- ${line}`)
  if (shadowing.copies.length === 0 && unchecked.length === 0) return []
  const lines = ['### Shadowed copies', '']
  if (shadowing.copies.length === 0) lines.push('No copy found where the github-token can read.', '')
  else {
    const rows = shadowing.copies.map((c) => [
      c.scope,
      c.names.map(code).join(', '),
      c.overrides.join(', '),
      c.updatedAt ? formatTime(c.updatedAt) : ''
    ])
    lines.push(
      '⚠️ Secrets of the same name at scopes that override the targets for the jobs that read them. This run ' +
        'does not write them: one that holds the pair being replaced locks its jobs out once the old token is ' +
        'deleted. Add its scope to `targets`, or delete the copy.',
      '',
      table(['Copy', 'Secrets', 'Overrides', 'Last written'], rows),
      ''
    )
  }
  if (unchecked.length > 0) lines.push(...unchecked, '')
  return lines
}

function statusLine(report: RunReport): string {
  if (report.skipped) return `**Skipped**: ${report.skipped}`
  if (report.problems.length > 0) return '**Failed**: see the targets and what to do below.'
  return report.command === 'rotate'
    ? '**Rotated**: every target holds the new pair.'
    : '**Created**: every target holds the new pair.'
}

export function jobTokenSummary(
  token: ServiceToken,
  name: string,
  grants: readonly Grant[],
  config: Pick<Config, 'exportEnv' | 'idSecretName' | 'tokenSecretName' | 'runUrl'>
): string {
  const exported = config.exportEnv
    ? `exported to the job's later steps as ${code(config.idSecretName)} and ${code(config.tokenSecretName)}`
    : 'not exported (`export-env: false`): read it from the `token` output'
  return [
    `## ${SUMMARY_TITLES['job-token']}`,
    '',
    `**Created** for this job; the action's post step deletes it when the job ends.`,
    '',
    `- **Token**: ${code(token.id)} ${name}`,
    `- **Expires**: ${token.expires_at ? formatTime(token.expires_at) : 'never'} (if the post step cannot run)`,
    `- **Pair**: ${exported}`,
    ...(config.runUrl ? [`- **Run**: [this workflow run](${config.runUrl}), which the token's name also names`] : []),
    '',
    '### Accesses',
    '',
    ...describeGrants(grants).map((g) => `- ${g}`),
    ''
  ].join('\n')
}

/** Tokens this action made carry a marker in their name; a job token's name also names its run. */
export function managedKind(name: string | null | undefined): 'rotation' | 'job-token' | undefined {
  if (!name || !/(^|\s)r-[0-9a-f]{10}$/.test(name)) return undefined
  return /\/run-[^/\s]+-\d+ r-[0-9a-f]{10}$/.test(name) ? 'job-token' : 'rotation'
}

export function managedBy(name: string | null | undefined): string {
  const kind = managedKind(name)
  if (kind === undefined) return ''
  return kind === 'job-token' ? 'job token (deleted when its job ends)' : 'made by this action (rotation)'
}

export function listSummary(organization: string, tokens: readonly ServiceToken[], now: Date): string {
  const rows = tokens.map((t) => {
    const ageSeconds = (now.getTime() - Date.parse(t.created_at)) / 1000
    return [
      code(t.id),
      t.name ?? t.display_name ?? '',
      formatAge(ageSeconds),
      t.expires_at ? formatTime(t.expires_at) : 'never',
      t.last_used_at ? formatTime(t.last_used_at) : 'never',
      [managedBy(t.name), dueForRotation(t, now) ? `⚠️ older than ${ROTATE_AFTER_DAYS} days: rotate` : '']
        .filter((note) => note !== '')
        .join('; ')
    ]
  })
  return [
    `## ${SUMMARY_TITLES.list} in ${organization}`,
    '',
    table(['ID', 'Name', 'Age', 'Expires', 'Last used', 'Note'], rows),
    ''
  ].join('\n')
}

export function deleteSummary(text: string, tokenId: string): string {
  return `## ${SUMMARY_TITLES.delete}\n\n${text.replace(tokenId, code(tokenId))}\n`
}

/** A run that stopped with an error before any secret was written: say so, and what went wrong, once. */
export function failureSummary(command: Command | undefined, error: unknown, message: string): string {
  const title = command === undefined ? 'PlanetScale service token action' : SUMMARY_TITLES[command]
  const status =
    error instanceof InputError
      ? '**Failed**: an input is invalid; nothing was requested or changed.'
      : '**Failed**: no secret was changed.'
  return [`## ${title}`, '', status, '', '```', message, '```', ''].join('\n')
}
