// `create`: contract steps 2–5 and 7 for a brand-new token (no old pair to put back).
import type { Config } from '../config.js'
import { RotationError } from '../errors.js'
import { describeGrants } from './accesses.js'
import { check } from './check.js'
import type { ProtocolDeps } from './deps.js'
import { describeTargets } from './plan.js'
import { discard, provision, undeletedAdvice } from './provision.js'
import type { RunReport } from './report.js'
import { writeTargets } from './write-targets.js'

export type CreateConfig = Pick<
  Config,
  'organization' | 'credentials' | 'targets' | 'idSecretName' | 'tokenSecretName' | 'tokenName' | 'accesses' | 'ttl' | 'dryRun'
>

export async function createToken(deps: ProtocolDeps, config: CreateConfig): Promise<RunReport> {
  const { log } = deps
  const checked = await check(deps, {
    organization: config.organization,
    actionTokenId: config.credentials.id,
    tokenId: undefined,
    targets: config.targets,
    secretNames: [config.idSecretName, config.tokenSecretName],
    accesses: config.accesses
  })
  const ttlSeconds = config.ttl.kind === 'seconds' ? config.ttl.seconds : undefined
  const report: RunReport = {
    command: 'create',
    dryRun: config.dryRun,
    rotated: false,
    grants: checked.grants,
    ttlSeconds,
    targets: checked.targets.map((t) => ({ label: t.spec.label, outcome: 'skipped' })),
    previousTokenDeleted: false,
    newTokenDeleted: false,
    problems: []
  }
  for (const line of describeGrants(checked.grants)) log.info(`  access ${line}`)
  if (config.dryRun) {
    for (const line of describeTargets(checked.targets, config)) log.info(line)
    log.info('Dry run: every check passed; nothing was changed.')
    return { ...report, skipped: 'dry run', targets: report.targets.map((t) => ({ ...t, outcome: 'planned' })) }
  }

  if (deps.cancel.aborted) throw new RotationError('The run was cancelled before anything was changed.')
  const created = await provision(deps, { name: config.tokenName, ttlSeconds, grants: checked.grants })
  report.newToken = { id: created.id, name: created.name ?? config.tokenName, expiresAt: created.expires_at ?? null }
  if (deps.cancel.aborted) {
    report.newTokenDeleted = await discard(deps, created.id, 'the run was cancelled before any target was written')
    report.problems.push('The run was cancelled before any target was written.')
    if (!report.newTokenDeleted) report.problems.push(undeletedAdvice(created.id))
    return report
  }
  report.targets = await writeTargets(
    checked.targets,
    { idName: config.idSecretName, tokenName: config.tokenSecretName, id: created.id, token: created.token },
    deps
  )
  const written = report.targets.filter((t) => t.outcome === 'written').length
  const idTouched = report.targets.some((t) => t.outcome === 'broken')
  for (const target of report.targets) {
    if (target.outcome !== 'written') report.problems.push(`${target.label}: ${target.outcome}${target.detail ? ` — ${target.detail}` : ''}`)
  }
  if (written === 0 && !idTouched) {
    report.newTokenDeleted = await discard(deps, created.id, 'no target was written')
    if (!report.newTokenDeleted) report.problems.push(undeletedAdvice(created.id))
  } else if (written < report.targets.length) {
    report.problems.push(`Token ${created.id} is kept: ${written} of ${report.targets.length} target(s) hold it. Fix the others and re-run.`)
  }
  report.rotated = written > 0
  return report
}
