// Step 6, retire: delete the tokens a rotation replaced, once no target holds them and their
// grace is over; and the tokens an interrupted run made that no target ever held (found by the
// marker in their name). In self-rotation the deletes go out with the new token's credentials: a
// token never deletes itself, and it proves the new token can run the next rotation.
import { errorMessage } from '../errors.js'
import type { DeletePrevious } from '../inputs/config.js'
import type { CreatedToken, PlanetScaleApi, ServiceToken } from '../planetscale/types.js'
import { formatAge, formatTime } from '../report/format.js'
import { dueRetirements, hasMarker, namedTokens } from './0-journal.js'
import type { ProtocolDeps } from './ports.js'
import type { RunState } from './run.js'

/** A token used this recently is still in some job's hands: worth a warning before it goes. */
export const RECENT_USE_MS = 60 * 60_000

export interface Deletions {
  deleted: string[]
  /** One line each: the token, and why its delete failed. */
  failed: { id: string; message: string }[]
}

/**
 * Deletes each token (in order, they are few). A 404 counts as deleted once the same credentials
 * are proven to work, which the client does: a delete that landed and answered 5xx, then 404 on
 * its retry, is a delete that landed.
 */
export async function deleteTokens(
  deps: Pick<ProtocolDeps, 'log' | 'now'>,
  planetscale: PlanetScaleApi,
  ids: readonly string[],
  why: string,
  /** When each token stopped being held by the targets (ms); a use since then gets a warning. */
  replacedAt: (id: string) => number | undefined
): Promise<Deletions> {
  const result: Deletions = { deleted: [], failed: [] }
  for (const id of ids) {
    const since = replacedAt(id)
    if (since !== undefined) await warnIfUsedSince(deps, planetscale, id, since)
    try {
      const outcome = await planetscale.deleteToken(id)
      result.deleted.push(id)
      deps.log.info(`${outcome === 'deleted' ? 'Deleted' : 'Already gone:'} token ${id} (${why}).`)
    } catch (error) {
      result.failed.push({ id, message: errorMessage(error) })
      deps.log.warning(`Could not delete token ${id} (${why}): ${errorMessage(error)}`)
    }
  }
  return result
}

async function warnIfUsedSince(
  deps: Pick<ProtocolDeps, 'log' | 'now'>,
  planetscale: PlanetScaleApi,
  id: string,
  since: number
): Promise<void> {
  let token: ServiceToken
  try {
    token = await planetscale.getToken(id)
  } catch {
    return // gone already, or unreadable: the delete says which
  }
  const lastUsed = token.last_used_at ? Date.parse(token.last_used_at) : NaN
  const ago = deps.now().getTime() - lastUsed
  // The run that replaced it used it too (self-rotation): only a use after that counts.
  if (lastUsed > since && ago >= 0 && ago < RECENT_USE_MS) {
    deps.log.warning(
      `Token ${id} was last used ${formatAge(ago / 1000)} ago, after it was replaced: some job or system still ` +
        'holds the old pair. It is retired as scheduled; if something breaks, give it the new pair ' +
        '(or use a longer `delete-previous`).'
    )
  }
}

/** Tokens named with one of `markers` that the journal does not name: made by interrupted runs, held by no target. */
export async function findOrphans(
  planetscale: PlanetScaleApi,
  markers: readonly string[],
  known: ReadonlySet<string>
): Promise<string[]> {
  if (markers.length === 0) return []
  const tokens = await planetscale.listTokens()
  return tokens.filter((t) => !known.has(t.id) && markers.some((m) => hasMarker(t.name, m))).map((t) => t.id)
}

/** `delete-previous` as the journal records it: seconds of grace, 0 = at once, null = never. */
export function graceSeconds(policy: DeletePrevious): number | null {
  if (policy.kind === 'never') return null
  return policy.kind === 'now' ? 0 : policy.seconds
}

/** Puts tokens in the journal's retirement list (`grace` null: `delete-previous: false`, kept for good). */
export function schedule(
  run: RunState,
  ids: readonly string[],
  grace: number | null,
  fromMs: number
): string | undefined {
  if (grace === null || ids.length === 0) return undefined
  const after = new Date(fromMs + grace * 1000).toISOString()
  const replacedAt = new Date(fromMs).toISOString()
  const state = run.journal.state
  for (const id of ids) if (!state.retiring.some((r) => r.id === id)) state.retiring.push({ id, after, replacedAt })
  return after
}

function noteDeletions(run: RunState, ids: readonly string[], why: string): void {
  for (const id of ids) run.report.retired.push(`Deleted ${id} (${why}).`)
}

/**
 * Deletes what is due: replaced tokens whose grace is over, and tokens of interrupted runs that no
 * target ever held. `save`: write the journal afterwards (a run that writes it anyway does not).
 */
export async function housekeeping(run: RunState, save: boolean): Promise<void> {
  const { deps, report } = run
  const state = run.journal.state
  const protect = new Set([run.credentials.id, run.config.credentials.id])
  const due = dueRetirements(state, deps.now()).filter((r) => !protect.has(r.id))
  let changed = false
  if (due.length > 0) {
    const replacedAt = (id: string) => {
      const at = due.find((r) => r.id === id)?.replacedAt
      return at === undefined ? undefined : Date.parse(at)
    }
    const ids = due.map((r) => r.id)
    const result = await deleteTokens(deps, deps.planetscale, ids, 'its grace is over', replacedAt)
    noteDeletions(run, result.deleted, 'replaced earlier; its grace was over')
    state.retiring = state.retiring.filter((r) => !result.deleted.includes(r.id))
    for (const failure of result.failed)
      report.problems.push(`Deleting token ${failure.id} (due for retirement) failed: ${failure.message}`)
    changed = result.deleted.length > 0
  }
  if (state.markers.length > 0) {
    const known = new Set([...namedTokens(state), ...run.replaced, ...protect])
    const orphans = await findOrphans(deps.planetscale, state.markers, known)
    const why = 'an interrupted run made it; no target holds it'
    const result = await deleteTokens(deps, deps.planetscale, orphans, why, () => undefined)
    noteDeletions(run, result.deleted, 'made by an interrupted run; no target held it')
    if (result.deleted.length > 0)
      report.repaired.push(
        `Deleted ${result.deleted.length} token(s) that interrupted runs left: ${result.deleted.join(', ')}.`
      )
    if (result.failed.length === 0) {
      state.markers = []
      changed = true
    }
    for (const failure of result.failed)
      report.problems.push(`Deleting token ${failure.id}, left by an interrupted run, failed: ${failure.message}`)
  }
  if (!save || !(changed || run.journalChanged)) return
  // A skipping run writes only over its own reading: a run that wrote since keeps its record, and
  // the next run deletes again what this one deleted (already gone counts as deleted).
  if (await run.journal.unchanged()) await run.journal.save()
  else deps.log.warning(`Another run wrote the journal ${run.journal.label} meanwhile; this run leaves it as is.`)
}

/**
 * Every target holds the new pair: the replaced tokens go now (`delete-previous: true`), after
 * their grace (a duration: the journal lists them for a later run), or never (`false`).
 */
export async function retireReplaced(
  run: RunState,
  created: CreatedToken,
  oldToken: ServiceToken | undefined,
  selfRotation: boolean,
  writtenAt: string
): Promise<void> {
  const { deps, report, config } = run
  const retire = [...(oldToken ? [oldToken.id] : []), ...run.replaced].filter((id) => id !== created.id)
  const policy = config.deletePrevious
  if (policy.kind === 'never') {
    deps.log.info(`Keeping the previous token(s) ${retire.join(', ') || 'none'} (delete-previous: false).`)
    return
  }
  if (policy.kind === 'after' && policy.seconds > 0) {
    const after = schedule(run, retire, policy.seconds, Date.parse(writtenAt))
    if (after === undefined) return
    if (oldToken) report.previousTokenRetiresAt = after
    const until = formatTime(after)
    for (const id of retire)
      report.retired.push(`${id} stays valid until ${until}; the first run after that deletes it.`)
    report.nextRun.push(`Delete ${retire.join(', ')} once ${until} has passed.`)
    deps.log.info(`Keeping ${retire.join(', ')} until ${until} (delete-previous: ${formatAge(policy.seconds)}).`)
    return
  }
  // Self-rotation: the new token deletes; otherwise the action's own token, which never deletes itself.
  const planetscale = selfRotation ? deps.planetscaleAs({ id: created.id, token: created.token }) : deps.planetscale
  const deletable = retire.filter((id) => id !== run.credentials.id || selfRotation)
  const writtenMs = Date.parse(writtenAt)
  const result = await deleteTokens(deps, planetscale, deletable, 'every target holds the new pair', () => writtenMs)
  report.previousTokenDeleted = oldToken !== undefined && result.deleted.includes(oldToken.id)
  noteDeletions(run, result.deleted, 'replaced; every target holds the new pair')
  for (const failure of result.failed) {
    report.problems.push(
      `Every target holds the new pair, but deleting the replaced token ${failure.id} failed: ${failure.message} ` +
        (run.journal.enabled
          ? 'The next run deletes it.'
          : `Delete it with \`command: delete\` and \`token-id: ${failure.id}\`.`)
    )
  }
  schedule(
    run,
    result.failed.map((f) => f.id),
    0,
    deps.now().getTime()
  )
}
