// Step 6, retire the previous token: only once every target holds the new pair. In
// self-rotation the delete goes out with the new token's credentials: a token never deletes
// itself, and it proves the new token can run the next rotation. Finding the previous token
// already gone means another rotation of it ran at the same time; that is settled here too.
import type { PreparedTarget } from '../github/types.js'
import { errorMessage } from '../errors.js'
import type { CreatedToken, Grant, PlanetScaleApi } from '../planetscale/types.js'
import { accessKeys, grantsFromAccesses } from './accesses.js'
import { writeTargets, type PairToWrite } from './5-write-targets.js'
import type { ProtocolDeps } from './ports.js'
import type { RunReport } from './7-report.js'

/** Tokens created this close to ours, with the same accesses, are taken for the other run's. */
const SAME_RUN_WINDOW_MS = 10 * 60_000

export interface Retirement {
  oldId: string
  created: CreatedToken
  grants: Grant[]
  targets: readonly PreparedTarget[]
  pair: Omit<PairToWrite, 'previous'>
  /** PlanetScale as credentials that still work (the new token in self-rotation). */
  planetscale: PlanetScaleApi
}

export async function retirePrevious(deps: ProtocolDeps, report: RunReport, retirement: Retirement): Promise<void> {
  const { oldId, planetscale } = retirement
  try {
    const result = await planetscale.deleteToken(oldId)
    report.previousTokenDeleted = true
    if (result === 'deleted') {
      deps.log.info(`Deleted the previous token ${oldId}.`)
      return
    }
  } catch (error) {
    report.problems.push(
      `Every target holds the new pair, but deleting the previous token ${oldId} failed: ${errorMessage(error)} ` +
        `It is still valid: delete it with \`command: delete\` and \`token-id: ${oldId}\`.`
    )
    return
  }
  await settleConcurrentRun(deps, report, retirement)
}

/**
 * The token this run replaced was already gone when it came to delete it. The likely cause is a
 * second rotation of it that wrote its own pair to the same targets: its writes and ours may have
 * interleaved, leaving a target with one run's ID and the other's token. That run has finished
 * writing (it deletes the old token only after), so this run writes its own pair to every target
 * again: each then holds a matching pair. The other run's token is then unused; it is named, not
 * deleted, since this run cannot prove that no other secret holds it.
 */
async function settleConcurrentRun(deps: ProtocolDeps, report: RunReport, race: Retirement): Promise<void> {
  const { log } = deps
  log.warning(
    `The previous token ${race.oldId} was already gone: another rotation of it probably ran at the same time ` +
      'and may have ' +
      `overwritten some targets. Writing this run's pair to every target again so that each holds a matching pair.`
  )
  report.targets = await writeTargets(race.targets, race.pair, deps)
  const written = report.targets.filter((t) => t.outcome === 'written').length
  report.rotated = written === report.targets.length
  if (!report.rotated) {
    report.problems.push(
      `Writing this run's pair again reached ${written} of ${report.targets.length} target(s): re-run the rotation ` +
        'once the failing targets accept writes.'
    )
  }
  const others = await concurrentTokens(race).catch((error: unknown) => {
    log.warning(`Could not list the tokens to find the other run's: ${errorMessage(error)}`)
    return []
  })
  if (others.length === 0) {
    log.warning(
      'No token of another run was found. Use a `concurrency:` group for the rotation workflow; ' +
        'check `command: list` for unused tokens.'
    )
    return
  }
  report.problems.push(
    `Another rotation of ${race.oldId} ran at the same time and made token ${others.join(', ')}, ` +
      'which no target holds any more: ' +
      `every target holds this run's pair (${race.created.id}). ` +
      'If no other secret uses it, delete it with `command: delete` and ' +
      `\`token-id: ${others[0]}\`. Give the rotation workflow a \`concurrency:\` group so that runs do not overlap.`
  )
}

async function concurrentTokens(race: Retirement): Promise<string[]> {
  const ours = Date.parse(race.created.created_at)
  const intended = [...accessKeys(race.grants)].sort().join()
  return (await race.planetscale.listTokens())
    .filter(
      (t) =>
        t.id !== race.created.id &&
        t.id !== race.oldId &&
        Math.abs(Date.parse(t.created_at) - ours) <= SAME_RUN_WINDOW_MS &&
        [...accessKeys(grantsFromAccesses(t.service_token_accesses ?? [], t.id))].sort().join() === intended
    )
    .map((t) => t.id)
}
