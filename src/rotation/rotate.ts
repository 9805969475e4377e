// The rotation protocol (contract steps 1–7). Pure of I/O details: everything arrives in deps.
import { RotationError, errorMessage } from '../errors.js'
import type { Config } from '../config.js'
import type { PlanetScaleApi, ServiceToken } from '../types.js'
import { describeGrants, lacksSelfRotationAccesses } from './accesses.js'
import { check } from './check.js'
import { settleConcurrentRun } from './concurrent-run.js'
import type { ProtocolDeps } from './deps.js'
import { discard, provision, undeletedAdvice } from './provision.js'
import type { RunReport, TokenSummary } from './report.js'
import { writeTargets } from './write-targets.js'
import { describeTargets } from './plan.js'

export type RotateConfig = Pick<
  Config,
  | 'organization'
  | 'credentials'
  | 'tokenId'
  | 'targets'
  | 'idSecretName'
  | 'tokenSecretName'
  | 'tokenName'
  | 'accesses'
  | 'ttl'
  | 'minAgeSeconds'
  | 'deletePrevious'
  | 'dryRun'
>

export async function rotate(deps: ProtocolDeps, config: RotateConfig): Promise<RunReport> {
  const { log } = deps
  const selfRotation = config.tokenId === config.credentials.id

  // 1. Check
  const checked = await check(deps, {
    organization: config.organization,
    actionTokenId: config.credentials.id,
    tokenId: config.tokenId,
    targets: config.targets,
    secretNames: [config.idSecretName, config.tokenSecretName],
    accesses: config.accesses
  })
  const oldToken = checked.oldToken!
  const grants = checked.grants
  if (selfRotation) {
    const lacking = lacksSelfRotationAccesses(grants)
    if (lacking.length > 0) {
      throw new RotationError(
        `Self-rotation needs the new token to hold ${lacking.join(', ')} at organization level, or the next rotation would fail. ` +
          'Add them to the token in PlanetScale (Settings → Service tokens) or to the `accesses` input. Nothing was changed.'
      )
    }
  }
  const ttlSeconds = newTokenTtl(config.ttl, oldToken)
  const report: RunReport = {
    command: 'rotate',
    dryRun: config.dryRun,
    rotated: false,
    previousToken: summarize(oldToken),
    grants,
    ttlSeconds,
    targets: checked.targets.map((t) => ({ label: t.spec.label, outcome: 'skipped' })),
    previousTokenDeleted: false,
    newTokenDeleted: false,
    problems: []
  }
  log.info(`Token to replace: ${oldToken.id} (${oldToken.name ?? 'unnamed'}), created ${oldToken.created_at}.`)
  for (const line of describeGrants(grants)) log.info(`  access ${line}`)

  const skip = minAgeSkip(oldToken, config.minAgeSeconds, deps.now())
  if (skip) {
    log.info(`Skipping: ${skip}`)
    return { ...report, skipped: skip }
  }
  if (config.dryRun) {
    for (const line of describeTargets(checked.targets, config)) log.info(line)
    log.info('Dry run: every check passed; nothing was changed.')
    return { ...report, skipped: 'dry run', targets: report.targets.map((t) => ({ ...t, outcome: 'planned' })) }
  }

  if (deps.cancel.aborted) throw new RotationError('The run was cancelled before anything was changed.')
  // 2–4. Create, grant, test (compensated inside on failure)
  const created = await provision(deps, { name: config.tokenName, ttlSeconds, grants, replacing: oldToken.id })
  report.newToken = { id: created.id, name: created.name ?? config.tokenName, expiresAt: created.expires_at ?? null }

  // 5. Write
  if (deps.cancel.aborted) {
    report.newTokenDeleted = await discard(deps, created.id, 'the run was cancelled before any target was written')
    report.problems.push('The run was cancelled before any target was written. Every target still holds the old pair.')
    if (!report.newTokenDeleted) report.problems.push(undeletedAdvice(created.id))
    return report
  }
  log.info(`Writing the new pair to ${checked.targets.length} target(s)...`)
  const pair = { idName: config.idSecretName, tokenName: config.tokenSecretName, id: created.id, token: created.token }
  report.targets = await writeTargets(
    checked.targets,
    { ...pair, previous: { id: oldToken.id, token: selfRotation ? config.credentials.token : undefined } },
    deps
  )

  // 6. Finish
  const written = report.targets.filter((t) => t.outcome === 'written').length
  const broken = report.targets.filter((t) => t.outcome === 'broken')
  for (const target of report.targets) {
    if (target.outcome !== 'written') {
      report.problems.push(`${target.label}: ${target.outcome}${target.detail ? ` — ${target.detail}` : ''}`)
    }
  }
  if (written === report.targets.length) {
    report.rotated = true
    if (config.deletePrevious) {
      // Self-rotation deletes with the new token: a token never deletes itself, and it proves the
      // new token can run the next rotation.
      const client = selfRotation ? deps.planetscaleAs(created) : deps.planetscale
      if ((await deletePrevious(deps, report, oldToken.id, client)) === 'already-deleted') {
        await settleConcurrentRun(deps, report, { oldId: oldToken.id, created, grants, targets: checked.targets, pair, planetscale: client })
      }
    } else log.info(`Keeping the previous token ${oldToken.id} (delete-previous: false).`)
  } else if (written === 0 && broken.length === 0) {
    report.newTokenDeleted = await discard(deps, created.id, 'no target was written')
    report.problems.push(`No target holds the new pair; every target still holds the old one (token ${oldToken.id}, kept).`)
    if (!report.newTokenDeleted) report.problems.push(undeletedAdvice(created.id))
  } else {
    report.problems.push(
      `Kept the previous token ${oldToken.id} and the new token ${created.id}: ${written} of ${report.targets.length} target(s) hold the new pair, ` +
        'the others still use the old one. Fix the failing targets and re-run the rotation.'
    )
  }
  return report
}

async function deletePrevious(
  deps: ProtocolDeps,
  report: RunReport,
  oldId: string,
  client: PlanetScaleApi
): Promise<'deleted' | 'already-deleted' | 'failed'> {
  try {
    const result = await client.deleteToken(oldId)
    report.previousTokenDeleted = true
    if (result === 'deleted') deps.log.info(`Deleted the previous token ${oldId}.`)
    return result
  } catch (error) {
    report.problems.push(
      `Every target holds the new pair, but deleting the previous token ${oldId} failed: ${errorMessage(error)} ` +
        `It is still valid: delete it with \`command: delete\` and \`token-id: ${oldId}\`.`
    )
    return 'failed'
  }
}

export function newTokenTtl(ttl: Config['ttl'], oldToken: ServiceToken): number | undefined {
  if (ttl.kind === 'seconds') return ttl.seconds
  if (ttl.kind === 'never' || !oldToken.expires_at) return undefined
  const seconds = Math.round((Date.parse(oldToken.expires_at) - Date.parse(oldToken.created_at)) / 1000)
  return seconds > 0 ? seconds : undefined
}

/** Why the rotation is skipped, or undefined when it should run. */
export function minAgeSkip(token: ServiceToken, minAgeSeconds: number, now: Date): string | undefined {
  if (minAgeSeconds <= 0) return undefined
  const ageSeconds = (now.getTime() - Date.parse(token.created_at)) / 1000
  if (ageSeconds >= minAgeSeconds) return undefined
  if (token.expires_at && Date.parse(token.expires_at) - now.getTime() < minAgeSeconds * 1000) return undefined
  return `the token ${token.id} was created ${formatAge(ageSeconds)} ago, less than min-age (${formatAge(minAgeSeconds)}).`
}

export function formatAge(seconds: number): string {
  if (seconds >= 86400) return `${Math.floor(seconds / 86400)}d`
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`
  return `${Math.max(0, Math.floor(seconds))}s`
}

function summarize(token: ServiceToken): TokenSummary {
  return { id: token.id, name: token.name ?? token.display_name ?? '', createdAt: token.created_at, expiresAt: token.expires_at }
}
