// Two rotations of the same token, started together against the same targets (what happens
// without a `concurrency:` group). Neither run can see the other's writes: GitHub secrets cannot be
// read back. The run that comes to delete the old token second finds it gone; by then the other
// run has finished writing, so it writes its own pair to every target again (every target then
// holds a matching pair, whatever the interleaving was), names the other run's token, which no
// target holds any more, and fails so that someone looks.
import { describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  ORG,
  TARGET_SETS,
  TOKEN_NAME,
  annotations,
  findLeaks,
  heldPair,
  invariantViolations,
  runAction,
  scenarios,
  type ActionRun,
  type Scenario
} from './harness.js'

const startThree = scenarios({ targets: TARGET_SETS.three })
/**
 * 100 ms on every request: a run takes over a second before it can delete the old token, so two
 * runs started together overlap even when one process starts a few hundred ms after the other.
 */
const scenario = (latencyMs = 100): Promise<Scenario> => startThree({ emulator: { latencyMs } })

/** The order in which a target's two secrets were written, by the ID they belong to. */
function writeOrder(s: Scenario, scopePath: string): string[] {
  return s.emu.log
    .filter((e) => e.method === 'PUT' && e.path.startsWith(scopePath))
    .map((e) => (e.path.endsWith(ID_NAME) ? 'ID' : 'token'))
}

async function race(
  s: Scenario,
  spacing: [string, string]
): Promise<{ runs: ActionRun[]; loser: ActionRun; winner: ActionRun }> {
  const runs = await Promise.all(
    spacing.map((ms) => runAction(s.inputs, { env: { ...s.env, PSCALE_ACTION_WRITE_SPACING_MS: ms } }))
  )
  return settleRace(s, runs)
}

/**
 * Starts a slow run, and a fast one once the slow run has written the repository's ID secret, so
 * that the fast run's whole pair lands in the slow run's ID-to-token window (about 200 ms from
 * spawn to first write here, against a window of SLOW_SPACING_MS).
 */
async function staggeredRace(s: Scenario): Promise<{ runs: ActionRun[]; loser: ActionRun; winner: ActionRun }> {
  const SLOW_SPACING_MS = '1000'
  const slow = runAction(s.inputs, { env: { ...s.env, PSCALE_ACTION_WRITE_SPACING_MS: SLOW_SPACING_MS } })
  const repoIdWritten = (): boolean =>
    s.emu.log.some((e) => e.method === 'PUT' && e.path === `/repos/acme/api/actions/secrets/${ID_NAME}`)
  const deadline = Date.now() + 20_000
  while (!repoIdWritten() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  expect(repoIdWritten()).toBe(true)
  const fast = runAction(s.inputs, { env: { ...s.env, PSCALE_ACTION_WRITE_SPACING_MS: '20' } })
  return settleRace(s, await Promise.all([slow, fast]))
}

function settleRace(s: Scenario, runs: ActionRun[]): { runs: ActionRun[]; loser: ActionRun; winner: ActionRun } {
  for (const run of runs) expect(findLeaks(run, s.secrets())).toEqual([])
  // Exactly one of them deleted the old token; the other found it gone.
  const losers = runs.filter((r) => r.code !== 0)
  expect(runs.map((r) => r.code).sort()).toEqual([0, 1])
  const loser = losers[0]!
  const winner = runs.find((r) => r !== loser)!
  return { runs, loser, winner }
}

/**
 * How a race ended. `overlapped`: both runs got past the check; the loser wrote its pair again
 * and names the winner's token. `late`: the loser started so late that the winner had already
 * deleted the old token, so the loser's credentials were refused at the check and it changed
 * nothing (both are correct; the latency above makes `late` rare).
 */
function expectSettled(s: Scenario, loser: ActionRun, winner: ActionRun): 'overlapped' | 'late' {
  if (loser.outputs['token-id'] === undefined) {
    expect(annotations(loser, 'error').join('\n')).toMatch(/HTTP 401/)
    for (const scope of s.targets)
      expect({ scope, id: heldPair(s, scope).id }).toEqual({ scope, id: winner.outputs['token-id'] })
    expect(invariantViolations(s)).toEqual([])
    return 'late'
  }
  const ours = loser.outputs['token-id']!
  const theirs = winner.outputs['token-id']!
  expect(ours).not.toBe(theirs)
  // The old token is gone and every target holds the same, working pair: the loser's.
  expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
  for (const scope of s.targets) {
    const pair = heldPair(s, scope)
    expect({ scope, id: pair.id }).toEqual({ scope, id: ours })
    expect(s.emu.planetscale.authenticates({ id: pair.id!, token: pair.token! })).toBe(true)
  }
  expect(loser.outputs).toMatchObject({ rotated: 'true', 'previous-token-deleted': 'true', 'targets-written': '3' })
  // The winner's token is the only one left over, and the loser names it with what to do.
  expect(invariantViolations(s)).toEqual([`orphan: token ${theirs} was created by the run and no target uses it`])
  const message = annotations(loser, 'error').join('\n')
  expect(message).toContain(`made token ${theirs}, which no target holds any more`)
  expect(message).toContain(`token-id: ${theirs}`)
  expect(message).toContain('concurrency:')
  expect(annotations(loser, 'warning').join('\n')).toMatch(
    /already gone: another rotation of it probably ran at the same time/
  )
  return 'overlapped'
}

async function followAdvice(s: Scenario, loser: ActionRun, winner: ActionRun): Promise<void> {
  const theirs = winner.outputs['token-id']!
  const ours = loser.outputs['token-id']!
  // The action's credentials are now the pair every target holds.
  const secret = heldPair(s, 'repo:acme/api').token!
  const cleanup = await runAction(
    { ...s.inputs, command: 'delete', 'token-id': theirs, 'service-token-id': ours, 'service-token': secret },
    { env: s.env }
  )
  expect(cleanup.code).toBe(0)
  expect(findLeaks(cleanup, s.secrets())).toEqual([])
  expect(invariantViolations(s)).toEqual([])
  expect(s.emu.planetscale.tokens(ORG).map((t) => t.id)).toEqual([ours])
}

describe('two rotations of the same token started together', () => {
  test('at different paces: their writes interleave, and the second to finish puts its pair back on every target', async () => {
    const s = await scenario(0)
    const { loser, winner, runs } = await staggeredRace(s)
    expect(loser).toBe(runs[0])
    // Without the second pass, the repository would have been left with one run's ID and the
    // other's token: the slow run wrote its token after the fast run's ID (and after the fast run
    // had already finished and deleted the old token).
    expect(writeOrder(s, '/repos/acme/api/actions/').slice(0, 4)).toEqual(['ID', 'ID', 'token', 'token'])
    const deletions = s.emu.log.filter((e) => e.method === 'DELETE' && e.path.endsWith(`/service-tokens/${s.token.id}`))
    expect(deletions.map((e) => e.status)).toEqual([204, 404])
    expectSettled(s, loser, winner)
    await followAdvice(s, loser, winner)
  })

  test('at the same pace: the same outcome, whichever run finishes first', async () => {
    const s = await scenario()
    const { loser, winner } = await race(s, ['20', '20'])
    if (expectSettled(s, loser, winner) === 'overlapped') await followAdvice(s, loser, winner)
  })

  test('the token secret of each target always matches its ID once both runs are done', async () => {
    // Three more races at varied paces: whatever the interleaving, no target is left locked out.
    for (const spacing of [
      ['0', '150'],
      ['250', '0'],
      ['60', '90']
    ] as [string, string][]) {
      const s = await scenario()
      const { loser, winner } = await race(s, spacing)
      expectSettled(s, loser, winner)
      for (const scope of s.targets) {
        const pair = heldPair(s, scope)
        expect(s.emu.github.secret(scope, TOKEN_NAME)?.value).toBe(pair.token)
        expect(s.emu.planetscale.authenticates({ id: pair.id!, token: pair.token! })).toBe(true)
      }
    }
  })
})
