// Step 2's first half: the intent goes into the journal before the token is created, then the
// journal is read back: another run that wrote its own intent meanwhile makes this one back off
// before anything changes. A run that ends early releases its lease, so the next run need not wait.
import { RotationError } from '../errors.js'
import type { ServiceToken } from '../planetscale/types.js'
import { newMarker } from './0-journal.js'
import { estimateMs } from './1-check.js'
import { discard, undeletedAdvice } from './2-new-token.js'
import type { RunState } from './run.js'
import { graceSeconds } from './6-retire-previous.js'

/** How long an open rotation is taken for a run still at work, besides twice its estimated length. */
export const LEASE_MARGIN_MS = 15 * 60_000

/** Records what this run is about to do; returns the marker its new token's name will carry. */
export async function recordIntent(run: RunState, oldToken: ServiceToken | undefined): Promise<string> {
  const { config, deps } = run
  const state = run.journal.state
  // The check took a while: a run that finished meanwhile must not be written over.
  if (!(await run.journal.unchanged())) {
    run.backedOff = true
    throw new RotationError(
      `Another run wrote the journal ${run.journal.label} while this one was checking. Nothing was changed: ` +
        'run again to act on what it recorded. Give the workflow a `concurrency:` group so that runs do not overlap.'
    )
  }
  const marker = newMarker()
  const now = deps.now()
  const leaseMs = LEASE_MARGIN_MS + 2 * estimateMs(deps, config.targets.length)
  state.open = {
    marker,
    run: config.runId,
    startedAt: now.toISOString(),
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    phase: 'creating',
    targets: Object.fromEntries(config.targets.map((t) => [t.label, 'pending'])),
    graceSeconds: graceSeconds(config.deletePrevious)
  }
  if (oldToken) state.open.from = oldToken.id
  if (run.command === 'rotate' && !state.line && oldToken) state.line = oldToken.id
  state.stale = [...run.replaced]
  state.targets = config.targets.map((t) => t.label)
  await run.journal.save()
  return marker
}

/** Another run wrote the journal since this one did: back off before any target is touched. */
export async function backOffIfNotOurs(run: RunState, marker: string, createdId: string | undefined): Promise<void> {
  let ours: boolean
  try {
    ours = await run.journal.stillOurs(marker)
  } catch (error) {
    if (createdId) await discard(run.deps, createdId, 'the journal could not be read again')
    throw error
  }
  if (ours) return
  run.backedOff = true
  let fate = ''
  if (createdId) {
    run.report.newTokenDeleted = await discard(run.deps, createdId, 'another run is rotating at the same time')
    fate = run.report.newTokenDeleted
      ? ` Its new token ${createdId} was deleted again.`
      : ` ${undeletedAdvice(createdId)}`
  }
  throw new RotationError(
    `Another run began a rotation at the same time (the journal ${run.journal.label} now names it). ` +
      `This run backs off before touching any target: nothing was changed.${fate} ` +
      'Give the workflow a `concurrency:` group so that runs do not overlap.'
  )
}

/** The run stops early: whatever it recorded, the next run may take over at once. */
export async function releaseLease(run: RunState): Promise<void> {
  const open = run.journal.state.open
  if (!open || !run.journal.enabled || run.backedOff) return
  open.leaseUntil = run.deps.now().toISOString()
  // No target was written: the next run deletes the new token at once (by its marker) if it is left.
  if (!run.writingBegan) open.phase = 'creating'
  try {
    await run.journal.save()
  } catch (error) {
    run.deps.log.warning(`${(error as Error).message} The next run waits for this run's lease to end.`)
  }
}
