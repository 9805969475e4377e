// `audit`: every service token of the organization held to PlanetScale's advice (the rules in
// src/audit/rules.ts), reported as outputs and a job summary; `fail-on` fails the step so that a
// scheduled run notifies someone. With `delete-unused`, the unused tokens nothing protects are
// deleted. PlanetScale only: reading needs read_service_tokens, deleting delete_service_tokens.
import {
  AUDIT_RULES,
  TOKEN_ADMIN,
  deletionPlan,
  evaluate,
  ignoreMatcher,
  type AuditContext,
  type AuditedToken,
  type DeletionPlan,
  type Finding
} from '../audit/rules.js'
import { PlanetScaleError, PlanetScaleNotFoundError, RotationError, errorMessage } from '../errors.js'
import type { AuditConfig } from '../inputs/audit.js'
import type { Config } from '../inputs/config.js'
import { PER_PAGE } from '../planetscale/client.js'
import type { ServiceToken } from '../planetscale/types.js'
import { auditSummary, type Deletion } from '../report/audit-summary.js'
import { auditOutputs } from '../report/outputs.js'
import { createWritePacer, type WritePacer } from '../rotation/5-write-pacer.js'
import type { CommandDeps, CommandResult } from './index.js'

/**
 * PlanetScale allows 600 requests a minute: every request of the audit takes a turn at least
 * 100 ms after the previous one, at most 8 in flight (enough to keep that pace at 800 ms of
 * latency). The list's pages, read one after another by the client, take their turns afterwards,
 * before the first token's read: no 60 s window ever holds more than 600.
 */
export const AUDIT_PACE = { spacingMs: 100, concurrency: 8 } as const

/** A token whose read failed (not a 404: that one was deleted meanwhile and is left out). */
export interface Unreadable {
  token: ServiceToken
  status: number | undefined
  message: string
}

export async function auditCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  const settings = config.audit
  if (settings === undefined) throw new Error('audit: the configuration has no audit settings')
  const { log, io } = deps
  const pacer = createWritePacer({
    spacingMs: AUDIT_PACE.spacingMs,
    sleep: deps.sleep,
    now: () => deps.now().getTime()
  })

  const items = await deps.planetscale.listTokens()
  for (let page = 0; page < Math.max(1, Math.ceil(items.length / PER_PAGE)); page++) {
    await pacer.turn('begin', deps.cancel).catch(() => cancelledWhileReading())
  }
  const listed = unique(items)
  log.info(
    `${listed.length} service token(s) in ${config.organization}: reading each one's accesses ` +
      `(${AUDIT_PACE.concurrency} at a time, at most ${1000 / AUDIT_PACE.spacingMs} requests a second).`
  )
  const read = await readTokens(listed, deps, pacer)

  const context: AuditContext = {
    now: deps.now(),
    selfId: config.credentials.id,
    maxAgeSeconds: settings.maxAgeSeconds,
    unusedForSeconds: settings.unusedForSeconds
  }
  const ignored = ignoreMatcher(settings.ignore)
  const all = evaluate(read.audited, context)
  const ignoredIds = new Set(read.audited.filter((t) => ignored(t.token)).map((t) => t.token.id))
  const findings = all.filter((f) => !ignoredIds.has(f.id))
  for (const f of findings) log.info(`${f.rule}: ${f.id} (${f.name || 'unnamed'}): ${f.detail}`)

  const plan = settings.deleteUnused ? deletionPlan(read.audited, all, { ...context, ignored }) : undefined
  const deletions = plan ? await deleteUnused(plan, read.audited, config, deps, pacer) : undefined

  const deleted = (deletions?.results ?? [])
    .filter((d) => d.outcome === 'deleted' || d.outcome === 'already-deleted')
    .map((d) => d.token.id)
  for (const [name, value] of Object.entries(auditOutputs(findings, deleted))) io.setOutput(name, value)

  // A token delete-unused just deleted is dealt with: its findings no longer fail the step.
  const gone = new Set(deleted)
  const failing = findings.filter((f) => settings.failOn.includes(f.rule) && !gone.has(f.id))
  const problems = [
    ...unreadableProblem(read.unreadable),
    ...(deletions?.problem === undefined ? [] : [deletions.problem]),
    ...failOnProblem(failing, settings)
  ]
  await io.appendSummary(
    auditSummary({
      organization: config.organization,
      settings,
      dryRun: config.dryRun,
      audited: read.audited,
      findings,
      ignored: { tokens: ignoredIds.size, findings: all.length - findings.length },
      failing: failing.length,
      deletions: deletions?.results,
      kept: plan?.keep ?? [],
      unreadable: read.unreadable.map((u) => ({ token: u.token, why: u.message })),
      problems
    })
  )
  if (problems.length > 0) return { failure: problems.join('\n') }
  // One annotation, so that a report-only run still shows on the workflow run's page.
  if (findings.length === 0) log.info(`No findings on ${read.audited.length} token(s).`)
  else log.warning(`${findings.length} finding(s) on ${read.audited.length} token(s): ${ruleCounts(findings)}.`)
  return {}
}

/** The list pages may overlap when tokens are made while they are read: one entry per ID. */
function unique(tokens: readonly ServiceToken[]): ServiceToken[] {
  const seen = new Map<string, ServiceToken>()
  for (const token of tokens) seen.set(token.id, token)
  return [...seen.values()]
}

/** Each token's own record (its accesses, a fresher last use), paced and a few at a time. */
async function readTokens(
  listed: readonly ServiceToken[],
  deps: CommandDeps,
  pacer: WritePacer
): Promise<{ audited: AuditedToken[]; unreadable: Unreadable[] }> {
  const results: (AuditedToken | Unreadable | 'gone' | undefined)[] = new Array(listed.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < listed.length) {
      const index = next++
      const item = listed[index]!
      // A record without its accesses costs a second request (the flat list): two turns.
      for (let turn = item.service_token_accesses === undefined ? 2 : 1; turn > 0; turn--) {
        await pacer.turn('begin', deps.cancel)
      }
      try {
        const own = await deps.planetscale.getToken(item.id)
        results[index] = { token: { ...item, ...own }, accesses: own.service_token_accesses }
      } catch (error) {
        if (!(error instanceof PlanetScaleError)) throw error
        // Only the record itself missing, with the credentials proven: not its accesses' read, not the credentials.
        if (error instanceof PlanetScaleNotFoundError && error.step === `read token ${item.id}`) {
          deps.log.info(`Token ${item.id} was deleted while the audit ran: left out.`)
          results[index] = 'gone'
        } else {
          deps.log.warning(`Could not read token ${item.id}: ${error.message}`)
          results[index] = { token: item, status: error.status, message: error.message }
        }
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(AUDIT_PACE.concurrency, listed.length) }, worker))
  } catch (error) {
    if (deps.cancel.aborted) cancelledWhileReading()
    throw error
  }
  const audited: AuditedToken[] = []
  const unreadable: Unreadable[] = []
  for (const result of results) {
    if (result === 'gone' || result === undefined) continue
    if ('accesses' in result) audited.push(result)
    else unreadable.push(result)
  }
  for (const t of audited) {
    if (t.accesses === undefined)
      deps.log.warning(`Token ${t.token.id}'s record came without its accesses: ${TOKEN_ADMIN} was not checked on it.`)
  }
  return { audited, unreadable }
}

function cancelledWhileReading(): never {
  throw new RotationError('The run was cancelled while the tokens were read: nothing was deleted.')
}

function unreadableProblem(unreadable: readonly Unreadable[]): string[] {
  if (unreadable.length === 0) return []
  const which = unreadable.map((u) => `${u.token.id} (${statusText(u.status)})`).join(', ')
  return [
    `The audit is incomplete: ${unreadable.length} token(s) could not be read: ${which}. ` +
      'They were not checked, and delete-unused left them alone; re-run the audit.'
  ]
}

function failOnProblem(failing: readonly Finding[], settings: AuditConfig): string[] {
  if (failing.length === 0) return []
  return [
    `${failing.length} finding(s) fail the step (fail-on: ${settings.failOn.join(', ')}): ${ruleCounts(failing)}. ` +
      'See the job summary, or the findings output.'
  ]
}

/** e.g. "unused 3, no-expiry 1", worst rule first. */
function ruleCounts(findings: readonly Finding[]): string {
  return AUDIT_RULES.map((rule) => [rule, findings.filter((f) => f.rule === rule).length] as const)
    .filter(([, n]) => n > 0)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ')
}

function statusText(status: number | undefined): string {
  return status === undefined ? 'no answer' : `HTTP ${status}`
}

/**
 * Deletes the plan's tokens one at a time, in PlanetScale's pace. A failure does not stop the
 * others; the step fails at the end, naming each token and status. Dry run: deletes nothing.
 */
async function deleteUnused(
  plan: DeletionPlan,
  audited: readonly AuditedToken[],
  config: Config,
  deps: CommandDeps,
  pacer: WritePacer
): Promise<{ results: Deletion[]; problem?: string }> {
  const { log } = deps
  // The audit has read its own token: without the access, every delete would be refused.
  const self = audited.find((t) => t.token.id === config.credentials.id)
  const cannotDelete =
    self?.accesses !== undefined &&
    !self.accesses.some((a) => a.resource_type === 'Organization' && a.access === 'delete_service_tokens')
  const lacking =
    `the token the audit authenticates with (${config.credentials.id}) lacks delete_service_tokens at ` +
    'organization level'
  if (config.dryRun) {
    for (const token of plan.delete) log.info(`Dry run: would delete token ${token.id} (${token.name ?? 'unnamed'}).`)
    if (cannotDelete && plan.delete.length > 0) log.warning(`delete-unused: ${lacking}: a real run could not delete.`)
    return { results: plan.delete.map((token) => ({ token, outcome: 'would-delete' })) }
  }
  if (plan.delete.length === 0) return { results: [] }
  if (cannotDelete) {
    return {
      results: plan.delete.map((token) => ({ token, outcome: 'not-tried', message: 'the audit token cannot delete' })),
      problem:
        `delete-unused: ${lacking}, so none of the ${plan.delete.length} unused token(s) was deleted. ` +
        "Grant it that access (the organization's Settings → Service tokens), or set delete-unused: false."
    }
  }
  const results: Deletion[] = []
  for (const token of plan.delete) {
    if (deps.cancel.aborted) {
      results.push({ token, outcome: 'not-tried', message: 'the run was cancelled' })
      continue
    }
    try {
      await pacer.turn('begin', deps.cancel)
      const outcome = await deps.planetscale.deleteToken(token.id)
      log.info(
        `${outcome === 'deleted' ? 'Deleted' : 'Already gone:'} unused token ${token.id} (${token.name ?? 'unnamed'}).`
      )
      results.push({ token, outcome })
    } catch (error) {
      if (deps.cancel.aborted) {
        results.push({ token, outcome: 'not-tried', message: 'the run was cancelled' })
        continue
      }
      const status = error instanceof PlanetScaleError ? error.status : undefined
      log.warning(`Could not delete unused token ${token.id}: ${errorMessage(error)}`)
      results.push({ token, outcome: 'failed', status, message: errorMessage(error) })
    }
  }
  const failed = results.filter((r) => r.outcome === 'failed')
  const cancelled = results.filter((r) => r.outcome === 'not-tried')
  const parts: string[] = []
  if (failed.length > 0) {
    parts.push(
      `delete-unused: ${failed.length} of ${plan.delete.length} token(s) could not be deleted: ` +
        `${failed.map((r) => `${r.token.id} (${statusText(r.status)})`).join(', ')}. ` +
        'The others were; the job summary says why each failed. Re-run, or delete them with command: delete.'
    )
  }
  if (cancelled.length > 0) {
    parts.push(
      `The run was cancelled: ${cancelled.length} unused token(s) were not deleted: ` +
        `${cancelled.map((r) => r.token.id).join(', ')}.`
    )
  }
  return { results, ...(parts.length > 0 ? { problem: parts.join('\n') } : {}) }
}
