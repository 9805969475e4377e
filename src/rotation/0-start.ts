// Step 0, what earlier runs left: read the journal while the credentials are proven; re-pair a
// refused pair from the IDs the journal names; close a rotation that wrote every target, take over
// one that did not; and find which token this run replaces.
import { PlanetScaleError, RotationError } from '../errors.js'
import type { Credentials } from '../planetscale/types.js'
import { Journal, namedTokens, openRotationStatus, type OpenRotation } from './0-journal.js'
import type { ProtocolDeps } from './ports.js'
import type { RotateConfig, RunState } from './run.js'
import { schedule } from './6-retire-previous.js'

export interface Start {
  journal: Journal
  credentials: Credentials
  /** `deps` with PlanetScale as the credentials that work. */
  deps: ProtocolDeps
  /** What `GET /organizations` answered (it proved the credentials). */
  organizations: string[]
  /** Set when the given pair was refused and the token was re-paired with an ID the journal names. */
  repairedFrom?: string
}

/** Reads the journal and proves the credentials together; re-pairs them from the journal when refused. */
export async function start(deps: ProtocolDeps, config: RotateConfig): Promise<Start> {
  const [read, first] = await Promise.all([
    Journal.read(deps.journal, config.runId, deps.now).then(
      (journal) => ({ journal }),
      (error: unknown) => ({ error })
    ),
    deps.planetscale.listOrganizations().then(
      (organizations) => ({ organizations }),
      (error: unknown) => ({ error })
    )
  ])
  if ('error' in read) throw read.error
  const { journal } = read
  const given = config.credentials
  if ('organizations' in first) return { journal, credentials: given, deps, organizations: first.organizations }
  if (!refused(first.error)) throw first.error
  for (const id of namedTokens(journal.state)) {
    if (id === given.id) continue
    const candidate = { id, token: given.token }
    const planetscale = deps.planetscaleAs(candidate)
    try {
      const organizations = await planetscale.listOrganizations()
      deps.log.warning(
        `The pair given (${given.id} with its token) was refused, but the token authenticates with ${id}, ` +
          `which the journal names: an interrupted run left the pair half-written. Going on as ${id}; ` +
          'this run writes a matching pair to every target.'
      )
      return { journal, credentials: candidate, deps: { ...deps, planetscale }, organizations, repairedFrom: given.id }
    } catch (error) {
      if (!refused(error)) throw error
    }
  }
  throw first.error
}

function refused(error: unknown): boolean {
  return error instanceof PlanetScaleError && (error.status === 401 || error.status === 404)
}

/**
 * What an earlier run left open: refused while another run may still be at it; closed when it
 * wrote every target; otherwise taken over, so that this run replaces all of its tokens.
 */
export function settleEarlierRuns(run: RunState): void {
  const state = run.journal.state
  const labels = run.config.targets.map((t) => t.label)
  const status = openRotationStatus(state, run.config.runId, run.deps.now(), labels)
  if (typeof status === 'object') throw new RotationError(busyMessage(status.busy, run.journal.label))
  checkSameLine(run, labels)
  const open = status === 'take-over' ? state.open : undefined
  if (open?.phase === 'written') closeWritten(run, open)
  else if (open) takeOver(run, open)
  // Tokens an earlier run kept (a conflict, a discarded takeover) that targets may still hold.
  for (const id of state.stale) run.replaced.add(id)
}

/**
 * A journal that records other targets is another line's: acting on it would rotate or retire
 * tokens this run's targets never held. Overlapping targets are the same line, edited.
 */
function checkSameLine(run: RunState, labels: readonly string[]): void {
  const state = run.journal.state
  const recorded = state.open ? Object.keys(state.open.targets) : (state.targets ?? [])
  if (recorded.length === 0) return
  const ours = new Set(labels.map((l) => l.toLowerCase()))
  const dropped = recorded.filter((label) => !ours.has(label.toLowerCase()))
  if (dropped.length === recorded.length) {
    throw new RotationError(
      `The journal ${run.journal.label} records the rotations of other targets (${recorded.join(', ')}): ` +
        'another line of tokens uses it. Nothing was changed. Give each line its own journal ' +
        '(`journal: … name=…`); if this line moved to new targets on purpose, name a new journal.'
    )
  }
  if (dropped.length > 0 && (state.open || state.stale.length > 0)) {
    run.deps.log.warning(
      `${dropped.join(', ')} took part in the unfinished rotation but is no longer in \`targets\`: it keeps the ` +
        'pair it holds, and that token is retired with the others once every target holds the new pair.'
    )
  }
}

/** An earlier run wrote every target but did not finish: finish it (its retirements, its close). */
function closeWritten(run: RunState, open: OpenRotation): void {
  const state = run.journal.state
  const to = open.to!
  const from = [open.from, ...state.stale].filter((id): id is string => id !== undefined && id !== to)
  schedule(run, from, open.graceSeconds, Date.parse(open.writtenAt ?? open.startedAt))
  state.current = to
  state.open = undefined
  state.stale = []
  run.journalChanged = true
  run.report.repaired.push(
    `Finished the rotation that run ${open.run} left: every target held ${to}` +
      (from.length > 0 ? `; ${from.join(', ')} retired as it asked.` : '.')
  )
  run.deps.log.info(`The journal shows run ${open.run} wrote every target and stopped: finishing its rotation.`)
}

/** An earlier rotation did not finish: its tokens may be held by some target, so this run replaces them all. */
function takeOver(run: RunState, open: OpenRotation): void {
  const state = run.journal.state
  // Before `writing`, no target can hold the new token: it is left to the orphan search by marker.
  const mayBeHeld = open.phase === 'creating' ? [open.from] : [open.from, open.to]
  for (const id of [...state.stale, ...mayBeHeld]) if (id !== undefined) run.replaced.add(id)
  if (!state.markers.includes(open.marker)) state.markers.push(open.marker)
  state.open = undefined
  const pending = Object.entries(open.targets)
    .filter(([, result]) => result !== 'written')
    .map(([label, result]) => `${label} (${result})`)
  run.deps.log.warning(
    `The journal shows a rotation that run ${open.run} began at ${open.startedAt} and did not finish ` +
      `(${open.phase}${pending.length > 0 ? `; not written: ${pending.join(', ')}` : ''}). ` +
      'This run rotates again, writes every target, then retires the tokens of that rotation.'
  )
  run.report.repaired.push(
    `Took over the unfinished rotation of run ${open.run} (${open.phase}): every target gets a fresh pair; ` +
      `${[...run.replaced].join(', ') || 'no recorded token'} retired once they do.`
  )
}

/** The token this run replaces. `token-id` may keep naming the first token of a line rotated since. */
export function tokenToReplace(run: RunState): string {
  const { config, journal } = run
  const state = journal.state
  if (run.command === 'create' || config.tokenId === config.credentials.id) return run.credentials.id
  const current = state.current
  const replacedEarlier = state.line === config.tokenId || state.retiring.some((r) => r.id === config.tokenId)
  if (current && current !== config.tokenId && replacedEarlier) {
    run.deps.log.info(
      `token-id ${config.tokenId} was replaced by this action earlier (journal ${journal.label}): ` +
        `rotating the line's current token ${current} instead.`
    )
    return current
  }
  return config.tokenId
}

/**
 * This run holds a pair that an earlier run already replaced (it read the secrets before that run
 * wrote them): its rotation overwrites the line's current token too, which then has to be retired.
 */
export function adoptSupersededLine(run: RunState, tokenId: string): void {
  const state = run.journal.state
  const current = state.current
  if (run.command !== 'rotate' || !current || current === tokenId) return
  if (!state.retiring.some((r) => r.id === tokenId)) return
  run.replaced.add(current)
  run.deps.log.warning(
    `The token ${tokenId} was already replaced by ${current} (journal ${run.journal.label}): this run read the ` +
      `secrets before that rotation wrote them. It rotates anyway and retires ${current} once every target ` +
      'holds the new pair. Give the workflow a `concurrency:` group so that runs do not overlap.'
  )
}

function busyMessage(open: OpenRotation, label: string): string {
  return (
    `Another run (${open.run}) began a rotation at ${open.startedAt} and may still be at it: the journal ${label} ` +
    `keeps it until ${open.leaseUntil}. Nothing was changed. If that run was killed, re-run it (a re-run of the same ` +
    'workflow run takes over at once) or run again after that time. Give the workflow a `concurrency:` group so ' +
    'that runs do not overlap, and jobs that rotate different targets a journal each (`journal: … name=…`).'
  )
}
