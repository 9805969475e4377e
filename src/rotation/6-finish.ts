// Step 6, finish: only when every target holds the new pair, and the journal still says this run's
// rotation is the one in progress, is what it replaced retired. Otherwise every token is kept and
// the journal says what the next run must finish.
import type { CreatedToken, ServiceToken } from '../planetscale/types.js'
import { Journal, TARGETS_PER_JOURNAL_WRITE } from './0-journal.js'
import { discard, undeletedAdvice } from './2-new-token.js'
import type { TargetResult } from './5-write-targets.js'
import { retireReplaced } from './6-retire-previous.js'
import type { RunReport } from './7-report.js'
import { saveAtEnd, type RunState } from './run.js'

/** Records a target's result; the journal is written once per ten results (the last ones go with the end). */
export async function recordTarget(run: RunState, result: TargetResult, done: number, total: number): Promise<void> {
  const open = run.journal.state.open
  if (!open) return
  open.targets[result.label] = result.outcome === 'planned' ? 'pending' : result.outcome
  if (done % TARGETS_PER_JOURNAL_WRITE !== 0 || done === total) return
  try {
    await run.journal.save()
  } catch (error) {
    run.deps.log.warning(`${(error as Error).message} The run goes on; its end writes the journal again.`)
  }
}

/** Deletes the new token no target holds; its marker stays in the journal if that fails. */
export async function discardNew(run: RunState, id: string, why: string, problem: string): Promise<RunReport> {
  const { report } = run
  report.newTokenDeleted = await discard(run.deps, id, why)
  report.problems.push(problem)
  const state = run.journal.state
  if (!report.newTokenDeleted) {
    report.problems.push(undeletedAdvice(id))
    if (state.open && !state.markers.includes(state.open.marker)) state.markers.push(state.open.marker)
  }
  state.open = undefined
  await saveAtEnd(run)
  return report
}

export async function finish(
  run: RunState,
  created: CreatedToken,
  oldToken: ServiceToken | undefined,
  selfRotation: boolean
): Promise<RunReport> {
  const { deps, report } = run
  const state = run.journal.state
  const open = state.open!
  const count = (outcome: string) => report.targets.filter((t) => t.outcome === outcome).length
  const written = count('written')
  const total = report.targets.length
  const uncertain = count('uncertain')

  if (written === 0 && uncertain === 0 && count('broken') === 0) {
    return discardNew(
      run,
      created.id,
      'no target was written',
      !oldToken
        ? `No target was written, so the new token ${created.id} is not kept.`
        : run.replaced.size === 0
          ? `No target holds the new pair; every target still holds the old one (token ${oldToken.id}, kept).`
          : 'No target holds the new pair; the targets keep the pairs they held ' +
            `(tokens ${[oldToken.id, ...run.replaced].join(', ')}, kept).`
    )
  }
  if (written < total) {
    open.leaseUntil = deps.now().toISOString()
    const kept = oldToken
      ? `Kept the previous token ${oldToken.id} and the new token ${created.id}`
      : `Kept the new token ${created.id}`
    report.problems.push(
      `${kept}: ${written} of ${total} target(s) hold the new pair` +
        (uncertain > 0 ? `, ${uncertain} may hold either pair` : '') +
        '. ' +
        (run.journal.enabled
          ? 'The next run rotates again and writes every target, then retires these tokens; fix the failing ' +
            'targets, then re-run to repair at once.'
          : 'Fix the failing targets and re-run the rotation (`journal: none`: no later run knows of these tokens).')
    )
    report.nextRun.push('Rotate again, write a fresh pair to every target, then retire the tokens this run kept.')
    report.rotated = run.command === 'create' && written > 0
    await saveAtEnd(run)
    return report
  }

  report.rotated = true
  let ours: boolean
  try {
    ours = await run.journal.stillOurs(open.marker)
  } catch (error) {
    return keepAll(run, `Reading the journal again failed: ${(error as Error).message}`)
  }
  if (!ours) return conflict(run, created.id)
  open.phase = 'written'
  open.writtenAt = deps.now().toISOString()
  try {
    await run.journal.save()
  } catch (error) {
    return keepAll(run, (error as Error).message)
  }
  await retireReplaced(run, created, oldToken, selfRotation, open.writtenAt)
  state.current = created.id
  state.open = undefined
  state.stale = []
  await saveAtEnd(run)
  return report
}

/** Every target holds the new pair, but the journal cannot say so: retire nothing, the next run finishes. */
function keepAll(run: RunState, problem: string): RunReport {
  run.report.problems.push(
    `${problem} Every target holds the new pair; the replaced token is kept, and the next run retires it.`
  )
  run.report.nextRun.push('Rotate again and write every target, then retire the tokens this run kept.')
  return run.report
}

/** Another run rotated over this one: keep every token, and make the journal say the rotation is unfinished. */
async function conflict(run: RunState, createdId: string): Promise<RunReport> {
  const { report } = run
  report.problems.push(
    `Another run rotated the same line while this one wrote its targets (the journal ${run.journal.label} names ` +
      `it). Every token is kept, including this run's ${createdId}; the next run rotates again and writes every ` +
      'target, then retires them. Give the workflow a `concurrency:` group so that runs do not overlap.'
  )
  report.nextRun.push('Rotate again and write every target, then retire the tokens of both runs.')
  let latest: Journal
  try {
    latest = await Journal.read(run.deps.journal, run.config.runId, run.deps.now)
  } catch (error) {
    report.problems.push(`Reading the journal again failed: ${(error as Error).message}`)
    return report
  }
  const ours = run.journal.state.open!
  const theirs = latest.state.open
  // A rotation the other run closed leaves its token only in `current`: targets may hold it too.
  const stale = new Set([
    ...latest.state.stale,
    ...run.replaced,
    ours.from,
    ours.to,
    theirs?.from,
    theirs?.to,
    latest.state.current
  ])
  latest.state.stale = [...stale].filter((id): id is string => id !== undefined)
  latest.state.markers = [...new Set([...latest.state.markers, ours.marker, ...(theirs ? [theirs.marker] : [])])]
  // No open rotation: the other run's last check fails too, and the next run takes over at once.
  latest.state.open = undefined
  run.journal = latest
  await saveAtEnd(run)
  return report
}
