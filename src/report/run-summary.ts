// The job summary of a rotate/create run. It holds IDs, names and results, never a token value.
import { describeGrants } from '../rotation/accesses.js'
import type { RunReport } from '../rotation/report.js'
import type { TargetOutcome } from '../rotation/write-targets.js'
import { code, table } from './markdown.js'

const OUTCOME_TEXT: Record<TargetOutcome, string> = {
  written: '✅ new pair written',
  restored: '⚠️ failed, old pair restored',
  unchanged: '⚠️ failed, unchanged (old pair)',
  skipped: '⏭️ not written (old pair)',
  broken: '❌ inconsistent: needs attention',
  planned: '📝 would be written'
}

export function runSummary(report: RunReport, names: { idSecretName: string; tokenSecretName: string }): string {
  const title = report.command === 'rotate' ? 'PlanetScale service token rotation' : 'PlanetScale service token creation'
  const lines: string[] = [`## ${title}`, '']
  lines.push(statusLine(report), '')
  const facts: string[][] = []
  if (report.previousToken) {
    facts.push(['Previous token', `${code(report.previousToken.id)} ${report.previousToken.name}`])
    facts.push(['Previous token deleted', report.previousTokenDeleted ? 'yes' : 'no'])
  }
  if (report.newToken) {
    facts.push(['New token', `${code(report.newToken.id)} ${report.newToken.name}`])
    facts.push(['Expires', report.newToken.expiresAt ?? 'never'])
    if (report.newTokenDeleted) facts.push(['New token deleted again', 'yes (no target uses it)'])
  } else if (report.dryRun || report.skipped) {
    facts.push(['New token lifetime', report.ttlSeconds === undefined ? 'no expiry' : `${report.ttlSeconds} s`])
  }
  facts.push(['Secrets', `${code(names.idSecretName)}, ${code(names.tokenSecretName)}`])
  lines.push(table(['', ''], facts), '')
  lines.push('### Accesses', '', ...describeGrants(report.grants).map((g) => `- ${g}`), '')
  lines.push('### Targets', '', table(['Target', 'Result', 'Detail'], report.targets.map((t) => [t.label, OUTCOME_TEXT[t.outcome], t.detail ?? ''])), '')
  if (report.problems.length > 0) lines.push('### What to do', '', ...report.problems.map((p) => `- ${p}`), '')
  return lines.join('\n')
}

function statusLine(report: RunReport): string {
  if (report.skipped) return `**Skipped**: ${report.skipped}`
  if (report.problems.length > 0) return '**Failed**: see the targets and what to do below.'
  return report.command === 'rotate' ? '**Rotated**: every target holds the new pair.' : '**Created**: every target holds the new pair.'
}

export function failureSummary(command: string, message: string): string {
  return [`## PlanetScale service token ${command}`, '', '**Failed.** No target was left with a mismatched pair:', '', '```', message, '```', ''].join('\n')
}
