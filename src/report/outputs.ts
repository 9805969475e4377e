// The step outputs of each command. Never a token value: IDs, times, counts and flags.
import type { Finding } from '../audit/rules.js'
import type { ServiceToken } from '../planetscale/types.js'
import { targetsWritten, type RunReport } from '../rotation/7-report.js'

export type Outputs = Record<string, string>

export function runOutputs(report: RunReport): Outputs {
  const outputs: Outputs = { 'token-id': report.newToken?.id ?? '' }
  if (report.command === 'rotate') {
    outputs['previous-token-id'] = report.previousToken?.id ?? ''
    outputs.rotated = String(report.rotated)
    outputs['previous-token-deleted'] = String(report.previousTokenDeleted)
    outputs['previous-token-retires-at'] = report.previousTokenRetiresAt ?? ''
    outputs.repaired = String(report.repaired.length > 0)
  }
  outputs['expires-at'] = report.newToken?.expiresAt ?? ''
  outputs['targets-written'] = String(targetsWritten(report))
  return outputs
}

/** Only these fields leave the process: a list never carries a secret, but be explicit. */
export function listOutputs(tokens: readonly ServiceToken[]): Outputs {
  const listed = tokens.map((t) => ({
    id: t.id,
    name: t.name ?? t.display_name ?? null,
    created_at: t.created_at,
    expires_at: t.expires_at ?? null,
    last_used_at: t.last_used_at ?? null
  }))
  return { tokens: JSON.stringify(listed) }
}

/** `audit`: each finding as `{id, name, rule, detail}` (built field by field: nothing else of a token leaves). */
export function auditOutputs(findings: readonly Finding[], deleted: readonly string[]): Outputs {
  const listed = findings.map((f) => ({ id: f.id, name: f.name, rule: f.rule, detail: f.detail }))
  return {
    findings: JSON.stringify(listed),
    'findings-count': String(findings.length),
    deleted: JSON.stringify(deleted)
  }
}
