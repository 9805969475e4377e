// `audit`'s job summary: the findings grouped by rule, worst first, then what delete-unused did.
// IDs, names, times and reasons only: a token record's other fields are never copied here.
import { AUDIT_RULES, RULE_TITLES, tokenName, type AuditedToken, type Finding } from '../audit/rules.js'
import type { AuditConfig } from '../inputs/audit.js'
import type { ServiceToken } from '../planetscale/types.js'
import { formatAge, formatTime } from './format.js'
import { SUMMARY_TITLES } from './job-summary.js'
import { code, table } from './markdown.js'
import { managedBy, managedKind } from './summaries.js'

/** Rows per rule in the summary; the findings output always has them all. */
export const MAX_ROWS_PER_RULE = 100

export interface Deletion {
  token: ServiceToken
  outcome: 'deleted' | 'already-deleted' | 'would-delete' | 'failed' | 'not-tried'
  status?: number
  message?: string
}

export interface AuditSummary {
  organization: string
  settings: AuditConfig
  dryRun: boolean
  audited: readonly AuditedToken[]
  /** Without the ignored tokens'. */
  findings: readonly Finding[]
  ignored: { tokens: number; findings: number }
  /** How many findings are of a rule in fail-on. */
  failing: number
  /** undefined without delete-unused. */
  deletions: readonly Deletion[] | undefined
  kept: readonly { token: ServiceToken; why: string }[]
  unreadable: readonly { token: ServiceToken; why: string }[]
  /** Why the step fails, if it does. */
  problems: readonly string[]
}

const DELETION_TEXT: Record<Deletion['outcome'], string> = {
  deleted: '🗑️ deleted',
  'already-deleted': '🗑️ already gone',
  'would-delete': '📝 would be deleted (dry run)',
  failed: '❌ not deleted',
  'not-tried': '⏭️ not deleted'
}

export function auditSummary(s: AuditSummary): string {
  const tokens = new Map(s.audited.map((t) => [t.token.id, t.token]))
  const flagged = new Set(s.findings.map((f) => f.id)).size
  const lines = [`## ${SUMMARY_TITLES.audit} in ${s.organization}`, '', statusLine(s, flagged), '']
  const facts: [string, string][] = [
    ['Tokens', tokenCounts(s.audited)],
    [
      'Rules',
      `max-age ${formatAge(s.settings.maxAgeSeconds)}, unused-for ${formatAge(s.settings.unusedForSeconds)}; ` +
        `fail-on: ${s.settings.failOn.length > 0 ? s.settings.failOn.map(code).join(', ') : 'none (report only)'}`
    ]
  ]
  if (s.ignored.tokens > 0)
    facts.push(['Ignored', `${s.ignored.tokens} token(s) in \`ignore\`, ${s.ignored.findings} finding(s) left out`])
  lines.push(...facts.map(([what, value]) => `- **${what}**: ${value}`), '')

  for (const rule of AUDIT_RULES) {
    const of = s.findings.filter((f) => f.rule === rule)
    if (of.length === 0) continue
    const failsText = s.settings.failOn.includes(rule) ? ' (fails the step)' : ''
    lines.push(`### ${code(rule)}: ${of.length}${failsText}`, '', `${RULE_TITLES[rule]}.`, '')
    const rows = of.slice(0, MAX_ROWS_PER_RULE).map((f) => {
      const token = tokens.get(f.id)
      return [
        code(f.id),
        f.name,
        f.detail,
        managedBy(token?.name) || 'nobody',
        token?.actor_display_name ?? '',
        token?.last_used_at ? formatTime(token.last_used_at) : 'never'
      ]
    })
    lines.push(table(['ID', 'Name', 'Finding', 'Managed by', 'Created by', 'Last used'], rows), '')
    if (of.length > MAX_ROWS_PER_RULE)
      lines.push(`… and ${of.length - MAX_ROWS_PER_RULE} more: see the \`findings\` output.`, '')
  }

  if (s.deletions !== undefined) {
    const heading = s.dryRun ? '### delete-unused (dry run: nothing was deleted)' : '### delete-unused'
    lines.push(heading, '')
    if (s.deletions.length === 0) lines.push('No unused token may be deleted.', '')
    else {
      const rows = s.deletions.map((d) => [
        code(d.token.id),
        tokenName(d.token),
        DELETION_TEXT[d.outcome],
        d.message ?? ''
      ])
      lines.push(table(['ID', 'Name', 'Result', 'Detail'], rows), '')
    }
    if (s.kept.length > 0) {
      const rows = s.kept.map((k) => [code(k.token.id), tokenName(k.token), k.why])
      lines.push('Unused, but kept:', '', table(['ID', 'Name', 'Why'], rows), '')
    }
  }
  if (s.unreadable.length > 0) {
    const rows = s.unreadable.map((u) => [code(u.token.id), tokenName(u.token), u.why])
    lines.push('### Not checked', '', table(['ID', 'Name', 'Why'], rows), '')
  }
  if (s.problems.length > 0) lines.push('### What to do', '', ...s.problems.map((p) => `- ${p}`), '')
  return lines.join('\n')
}

function statusLine(s: AuditSummary, flagged: number): string {
  if (s.problems.length > 0) {
    return s.failing > 0
      ? `**Failed**: ${s.failing} finding(s) of a rule in \`fail-on\`; see below.`
      : '**Failed**: see what to do below.'
  }
  if (s.findings.length === 0) return `**No findings** on ${s.audited.length} token(s).`
  const outcome = s.settings.failOn.length === 0 ? 'report only (`fail-on` is empty)' : 'none of a rule in `fail-on`'
  return `**${s.findings.length} finding(s)** on ${flagged} of ${s.audited.length} token(s); ${outcome}.`
}

function tokenCounts(audited: readonly AuditedToken[]): string {
  const kinds = audited.map((t) => managedKind(t.token.name))
  const rotation = kinds.filter((k) => k === 'rotation').length
  const job = kinds.filter((k) => k === 'job-token').length
  return `${audited.length} (${rotation} made by this action's rotation, ${job} job token(s))`
}
