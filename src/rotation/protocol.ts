// The rotation protocol, read top to bottom: check (1), a new token (2–4), write the targets (5),
// retire the previous token (6), report (7). `rotate` and `create` share this one skeleton;
// `create` has no previous token, so it has nothing to skip for, put back or retire.
// Free of I/O details: every client, the clock and the logger arrive in `deps`.
import { RotationError } from '../errors.js'
import type { Config, Ttl } from '../inputs/config.js'
import type { ServiceToken } from '../planetscale/types.js'
import { formatAge } from '../report/format.js'
import { describeGrants, lacksSelfRotationAccesses } from './accesses.js'
import { check, type CheckRequest, type CheckResult } from './1-check.js'
import { discard, newToken, undeletedAdvice } from './2-new-token.js'
import { writeTargets } from './5-write-targets.js'
import { retirePrevious } from './6-retire-previous.js'
import { summarizeToken, type RunReport } from './7-report.js'
import type { ProtocolDeps } from './ports.js'

type CommonConfig = Pick<
  Config,
  | 'organization'
  | 'credentials'
  | 'targets'
  | 'idSecretName'
  | 'tokenSecretName'
  | 'tokenName'
  | 'accesses'
  | 'ttl'
  | 'dryRun'
>
export type RotateConfig = CommonConfig & Pick<Config, 'tokenId' | 'minAgeSeconds' | 'deletePrevious'>
export type CreateConfig = CommonConfig

/** What the targets held before this run (rotate only). */
interface Previous {
  token: ServiceToken
  /** Its secret: known only in self-rotation, where it is the action's own credential. */
  secret: string | undefined
  deleteAfterwards: boolean
  /** Set when min-age says this run has nothing to do. */
  skip: string | undefined
}

export async function rotate(deps: ProtocolDeps, config: RotateConfig): Promise<RunReport> {
  const selfRotation = config.tokenId === config.credentials.id
  const checked = await check(deps, checkRequest(config, config.tokenId))
  const oldToken = checked.oldToken!
  if (selfRotation) {
    const lacking = lacksSelfRotationAccesses(checked.grants)
    if (lacking.length > 0) {
      throw new RotationError(
        `Self-rotation needs the new token to hold ${lacking.join(', ')} at organization level, or the next ` +
          'rotation would fail. Add them to the token in PlanetScale (Settings → Service tokens) or to the ' +
          '`accesses` input. Nothing was changed.'
      )
    }
  }
  deps.log.info(`Token to replace: ${oldToken.id} (${oldToken.name ?? 'unnamed'}), created ${oldToken.created_at}.`)
  return carryOut(deps, config, checked, newTokenTtl(config.ttl, oldToken), {
    token: oldToken,
    secret: selfRotation ? config.credentials.token : undefined,
    deleteAfterwards: config.deletePrevious,
    skip: minAgeSkip(oldToken, config.minAgeSeconds, deps.now())
  })
}

export async function create(deps: ProtocolDeps, config: CreateConfig): Promise<RunReport> {
  const checked = await check(deps, checkRequest(config, undefined))
  const ttlSeconds = config.ttl.kind === 'seconds' ? config.ttl.seconds : undefined
  return carryOut(deps, config, checked, ttlSeconds, undefined)
}

function checkRequest(config: CommonConfig, tokenId: string | undefined): CheckRequest {
  return {
    organization: config.organization,
    actionTokenId: config.credentials.id,
    tokenId,
    targets: config.targets,
    secretNames: [config.idSecretName, config.tokenSecretName],
    accesses: config.accesses
  }
}

async function carryOut(
  deps: ProtocolDeps,
  config: CommonConfig,
  checked: CheckResult,
  ttlSeconds: number | undefined,
  previous: Previous | undefined
): Promise<RunReport> {
  const { log } = deps
  const report: RunReport = {
    command: previous ? 'rotate' : 'create',
    dryRun: config.dryRun,
    rotated: false,
    previousToken: previous && summarizeToken(previous.token),
    grants: checked.grants,
    ttlSeconds,
    targets: checked.targets.map((t) => ({ label: t.spec.label, outcome: 'skipped' })),
    previousTokenDeleted: false,
    newTokenDeleted: false,
    problems: []
  }
  for (const line of describeGrants(checked.grants)) log.info(`  access ${line}`)
  if (previous?.skip) {
    log.info(`Skipping: ${previous.skip}`)
    return { ...report, skipped: previous.skip }
  }
  if (config.dryRun) {
    log.info(`Plan: create a token named "${config.tokenName}" with the accesses above, test it, then write`)
    for (const t of checked.targets)
      log.info(`  ${config.idSecretName} and ${config.tokenSecretName} to ${t.spec.label}`)
    log.info('Dry run: every check passed; nothing was changed.')
    return { ...report, skipped: 'dry run', targets: report.targets.map((t) => ({ ...t, outcome: 'planned' })) }
  }
  if (deps.cancel.aborted) throw new RotationError('The run was cancelled before anything was changed.')

  // 2–4. Create, grant, test (the new token is discarded inside on failure).
  const created = await newToken(deps, {
    name: config.tokenName,
    ttlSeconds,
    grants: checked.grants,
    replacing: previous?.token.id
  })
  report.newToken = summarizeToken(created, config.tokenName)
  const discardNew = async (why: string, problem: string | undefined): Promise<RunReport> => {
    report.newTokenDeleted = await discard(deps, created.id, why)
    if (problem) report.problems.push(problem)
    if (!report.newTokenDeleted) report.problems.push(undeletedAdvice(created.id))
    return report
  }
  if (deps.cancel.aborted) {
    const still = previous ? ' Every target still holds the old pair.' : ''
    return discardNew(
      'the run was cancelled before any target was written',
      `The run was cancelled before any target was written.${still}`
    )
  }

  // 5. Write.
  log.info(`Writing the new pair to ${checked.targets.length} target(s)...`)
  const pair = { idName: config.idSecretName, tokenName: config.tokenSecretName, id: created.id, token: created.token }
  report.targets = await writeTargets(
    checked.targets,
    previous ? { ...pair, previous: { id: previous.token.id, token: previous.secret } } : pair,
    deps
  )
  const written = report.targets.filter((t) => t.outcome === 'written').length
  const total = report.targets.length
  const broken = report.targets.some((t) => t.outcome === 'broken')

  // 6. Finish: retire the previous token only when every target holds the new pair.
  if (written === 0 && !broken) {
    return discardNew(
      'no target was written',
      previous
        ? `No target holds the new pair; every target still holds the old one (token ${previous.token.id}, kept).`
        : `No target was written, so the new token ${created.id} is not kept.`
    )
  }
  if (!previous) {
    report.rotated = written > 0
    if (written < total) {
      report.problems.push(
        `Token ${created.id} is kept: ${written} of ${total} target(s) hold it. Fix the others and re-run.`
      )
    }
    return report
  }
  const oldId = previous.token.id
  if (written < total) {
    report.problems.push(
      `Kept the previous token ${oldId} and the new token ${created.id}: ${written} of ${total} target(s) hold the ` +
        'new pair, the others still use the old one. Fix the failing targets and re-run the rotation.'
    )
    return report
  }
  report.rotated = true
  if (!previous.deleteAfterwards) {
    log.info(`Keeping the previous token ${oldId} (delete-previous: false).`)
    return report
  }
  await retirePrevious(deps, report, {
    oldId,
    created,
    grants: checked.grants,
    targets: checked.targets,
    pair,
    planetscale: previous.secret !== undefined ? deps.planetscaleAs(created) : deps.planetscale
  })
  return report
}

export function newTokenTtl(ttl: Ttl, oldToken: ServiceToken): number | undefined {
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
  return (
    `the token ${token.id} was created ${formatAge(ageSeconds)} ago, ` +
    `less than min-age (${formatAge(minAgeSeconds)}).`
  )
}
