// The rotation protocol, read top to bottom: what earlier runs left (0), check (1), the intent and
// a new token (2–4), write the targets (5), finish and retire what was replaced (6), report (7).
// `rotate` and `create` share this one skeleton; `create` has no previous token to skip for, put
// back or retire. Free of I/O details: every client, the clock and the logger arrive in `deps`.
import { RotationError } from '../errors.js'
import type { Ttl } from '../inputs/config.js'
import type { ServiceToken } from '../planetscale/types.js'
import { formatAge } from '../report/format.js'
import { dueRetirements, nameWithMarker, unfinished } from './0-journal.js'
import { adoptSupersededLine, settleEarlierRuns, start, tokenToReplace } from './0-start.js'
import { describeGrants, lacksSelfRotationAccesses } from './accesses.js'
import { check, checkTokenLifetime, type CheckResult } from './1-check.js'
import { backOffIfNotOurs, recordIntent, releaseLease } from './2-intent.js'
import { newToken } from './2-new-token.js'
import { writeTargets } from './5-write-targets.js'
import { discardNew, finish, recordTarget } from './6-finish.js'
import { housekeeping } from './6-retire-previous.js'
import { summarizeToken, type RunReport } from './7-report.js'
import type { ProtocolDeps } from './ports.js'
import { emptyReport, type CreateConfig, type RotateConfig, type RunState } from './run.js'

export type { CreateConfig, RotateConfig } from './run.js'
export { EXPIRY_MARGIN_MS } from './1-check.js'
export { LEASE_MARGIN_MS } from './2-intent.js'

export function rotate(deps: ProtocolDeps, config: RotateConfig): Promise<RunReport> {
  return carryOut(deps, config, 'rotate')
}

export function create(deps: ProtocolDeps, config: CreateConfig): Promise<RunReport> {
  return carryOut(deps, { ...config, tokenId: config.credentials.id, minAgeSeconds: 0 }, 'create')
}

async function carryOut(deps: ProtocolDeps, config: RotateConfig, command: RunState['command']): Promise<RunReport> {
  // 0. The journal, read with the first request that proves the credentials (re-paired if need be).
  const started = await start(deps, config)
  const report = emptyReport(config, command)
  report.journal = started.journal.label
  if (started.repairedFrom) {
    report.repaired.push(
      `Re-paired the credentials: ${started.repairedFrom} was refused; the token is ` +
        `${started.credentials.id}'s (named in the journal).`
    )
  }
  const run: RunState = {
    deps: started.deps,
    config,
    command,
    journal: started.journal,
    report,
    credentials: started.credentials,
    replaced: new Set(),
    repairedCredentials: started.repairedFrom !== undefined,
    backedOff: false,
    writingBegan: false,
    journalChanged: false
  }
  settleEarlierRuns(run)
  const tokenId = tokenToReplace(run)
  adoptSupersededLine(run, tokenId)
  const { log } = run.deps

  // 1. Check.
  const selfRotation = command === 'rotate' && tokenId === run.credentials.id
  const checked = await check(run.deps, {
    organization: config.organization,
    organizations: started.organizations,
    actionTokenId: run.credentials.id,
    tokenId: command === 'rotate' ? tokenId : undefined,
    targets: config.targets,
    secretNames: [config.idSecretName, config.tokenSecretName],
    accesses: config.accesses
  })
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
  report.shadowing = checked.shadowing
  const oldToken = checked.oldToken
  if (oldToken) {
    report.previousToken = summarizeToken(oldToken)
    log.info(`Token to replace: ${oldToken.id} (${oldToken.name ?? 'unnamed'}), created ${oldToken.created_at}.`)
    run.replaced.delete(oldToken.id)
  }
  report.grants = checked.grants
  report.ttlSeconds = oldToken
    ? newTokenTtl(config.ttl, oldToken)
    : config.ttl.kind === 'seconds'
      ? config.ttl.seconds
      : undefined
  for (const line of describeGrants(checked.grants)) log.info(`  access ${line}`)

  // An earlier run's unfinished work is never skipped for min-age.
  const mustRotate = unfinished(run.journal.state) || run.replaced.size > 0 || run.repairedCredentials
  const skip = oldToken && !mustRotate ? minAgeSkip(oldToken, config.minAgeSeconds, run.deps.now()) : undefined
  if (skip) {
    log.info(`Skipping: ${skip}`)
    report.skipped = skip
    if (!config.dryRun) await housekeeping(run, true)
    return report
  }
  checkTokenLifetime(run.deps, checked.targets.length)
  if (config.dryRun) return plan(run, checked)
  if (run.deps.cancel.aborted) throw new RotationError('The run was cancelled before anything was changed.')

  // 2. The intent, before anything changes.
  const marker = await recordIntent(run, oldToken)
  try {
    return await createAndWrite(run, checked, oldToken, selfRotation, marker)
  } catch (error) {
    await releaseLease(run)
    throw error
  }
}

/** Steps 2–6 once the intent is recorded. */
async function createAndWrite(
  run: RunState,
  checked: CheckResult,
  oldToken: ServiceToken | undefined,
  selfRotation: boolean,
  marker: string
): Promise<RunReport> {
  const { deps, config, report } = run
  const state = run.journal.state
  await backOffIfNotOurs(run, marker, undefined)
  await housekeeping(run, false)

  // 2–4. Create (its ID recorded before anything else), grant, test; discarded inside on failure.
  const created = await newToken(deps, {
    name: run.journal.enabled ? nameWithMarker(config.tokenName, marker) : config.tokenName,
    ttlSeconds: report.ttlSeconds,
    grants: checked.grants,
    replacing: oldToken?.id,
    onCreated: async (token) => {
      state.open = { ...state.open!, to: token.id, phase: 'writing' }
      await run.journal.save()
    }
  })
  report.newToken = summarizeToken(created, config.tokenName)
  await backOffIfNotOurs(run, marker, created.id)
  if (deps.cancel.aborted) {
    const still = oldToken ? ' Every target still holds the old pair.' : ''
    return discardNew(
      run,
      created.id,
      'the run was cancelled before any target was written',
      `The run was cancelled before any target was written.${still}`
    )
  }

  // 5. Write, recording each target's result (ten to a journal write).
  deps.log.info(`Writing the new pair to ${checked.targets.length} target(s)...`)
  const pair = { idName: config.idSecretName, tokenName: config.tokenSecretName, id: created.id, token: created.token }
  const previous = oldToken && { id: oldToken.id, token: selfRotation ? run.credentials.token : undefined }
  run.writingBegan = true
  report.targets = await writeTargets(checked.targets, previous ? { ...pair, previous } : pair, deps, (result, done) =>
    recordTarget(run, result, done, checked.targets.length)
  )

  // 6. Finish.
  return finish(run, created, oldToken, selfRotation)
}

function plan(run: RunState, checked: CheckResult): RunReport {
  const { deps, config, report } = run
  const { log } = deps
  const state = run.journal.state
  log.info(`Plan: create a token named "${config.tokenName}" with the accesses above, test it, then write`)
  for (const t of checked.targets) log.info(`  ${config.idSecretName} and ${config.tokenSecretName} to ${t.spec.label}`)
  const due = dueRetirements(state, deps.now()).map((r) => r.id)
  if (due.length > 0) log.info(`  delete ${due.join(', ')} (their grace is over)`)
  if (state.markers.length > 0)
    log.info(`  delete the tokens interrupted runs left (markers ${state.markers.join(', ')})`)
  if (run.replaced.size > 0) log.info(`  retire ${[...run.replaced].join(', ')} (an unfinished rotation's)`)
  const shadowed = checked.shadowing.copies.map((c) => c.scope)
  if (shadowed.length > 0)
    log.info(`  leave the shadowed copies at ${shadowed.join(', ')} as they are (see the warnings)`)
  log.info('Dry run: every check passed; nothing was changed.')
  report.skipped = 'dry run'
  report.targets = report.targets.map((t) => ({ ...t, outcome: 'planned' }))
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
