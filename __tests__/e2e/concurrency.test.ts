// Two rotations of the same token against the same targets at the same time (what happens without
// a `concurrency:` group). GitHub secrets cannot be read back, so the runs coordinate through the
// journal: each records its intent and re-reads the journal before it creates a token, before it
// writes a target and before it retires anything. A run that finds another run's intent backs off
// and deletes its new token again; a run that finds another run's lease live is refused before it
// changes anything; and when both got to write (rare), the one that notices at its end keeps every
// token and leaves the journal open. In every case a re-run with no fault leaves every target
// with the newest pair, and no token alive but the newest and those inside `delete-previous`'s grace.
import { describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  JOURNAL,
  TARGET_SETS,
  TOKEN_NAME,
  createdTokenIds,
  credentialsFrom,
  failure,
  findLeaks,
  heldPair,
  invariantViolations,
  journalState,
  runAction,
  scenarios,
  settledViolations,
  type ActionRun,
  type Scenario
} from './harness.js'

const startThree = scenarios({ targets: TARGET_SETS.three })
const startOne = scenarios({ targets: TARGET_SETS.one })
/**
 * 100 ms on every request: a run takes over a second before it writes a target, so two runs started
 * together overlap even when one process starts a few hundred ms after the other.
 */
const scenario = (latencyMs = 100): Promise<Scenario> => startThree({ emulator: { latencyMs } })

const RUN_A = '7001'
const RUN_B = '7002'
const VARIABLE = `/repos/acme/api/actions/variables/${JOURNAL.name}`
const REPO_SECRETS = '/repos/acme/api/actions/secrets'
/** Long enough that a held request is not given up on (and retried) while the test holds it. */
const PATIENT = { PSCALE_ACTION_REQUEST_TIMEOUT_MS: '60000' }

/** Each run names its tokens after itself, so that a token can be traced to the run that made it. */
function start(
  s: Scenario,
  runId: string,
  options: { env?: Record<string, string>; onStart?: (pid: number) => void } = {}
) {
  return runAction(
    { ...s.inputs, 'token-name': 'race/{run_id}' },
    { env: { ...s.env, GITHUB_RUN_ID: runId, ...options.env }, onStart: options.onStart }
  )
}

/** Every token a run made, deleted ones included. */
function tokensOf(s: Scenario, runId: string): string[] {
  return createdTokenIds(s).filter((id) => s.emu.planetscale.token(id)?.name?.startsWith(`race/${runId} `))
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

type Fate = 'rotated' | 'backed off' | 'refused' | 'conflict'

/** How a run of a race ended, from its exit code and message. */
function fateOf(run: ActionRun): Fate {
  const message = failure(run)
  if (run.code === 0) return 'rotated'
  if (/Another run began a rotation at the same time/.test(message)) return 'backed off'
  // Its intent found another run's newer journal (or a journal another run created): nothing written.
  if (/Another run wrote the journal .* while this one was checking/.test(message)) return 'backed off'
  if (/another run created the journal while this one was starting/.test(message)) return 'backed off'
  if (/Another run \(\d+\/\d+\) began a rotation at .* may still be at it/.test(message)) return 'refused'
  if (/Another run rotated the same line while this one wrote its targets/.test(message)) return 'conflict'
  throw new Error(`unexpected end of a race run (exit ${run.code}): ${message}`)
}

/**
 * Two runs started together, then what each may leave: a run that backed off or was refused changed
 * nothing (no target holds a token of it, none of its tokens is alive); a run in conflict kept every
 * token. Returns the run ID a re-run would repeat (a run that did not rotate).
 */
async function race(s: Scenario, spacing: [string, string]): Promise<{ fates: Fate[]; loser: string }> {
  const runIds = [RUN_A, RUN_B]
  const runs = await Promise.all(
    runIds.map((id, i) => start(s, id, { env: { PSCALE_ACTION_WRITE_SPACING_MS: spacing[i]! } }))
  )
  for (const run of runs) expect(findLeaks(run, s.secrets())).toEqual([])
  const fates = runs.map(fateOf)
  expect(fates.filter((f) => f === 'rotated').length).toBeLessThanOrEqual(1)
  const held = new Set(s.targets.map((scope) => heldPair(s, scope).id))
  fates.forEach((fate, i) => {
    const mine = tokensOf(s, runIds[i]!)
    if (fate === 'backed off' || fate === 'refused') {
      expect({ fate, alive: mine.filter((id) => s.emu.planetscale.isAlive(id)) }).toEqual({ fate, alive: [] })
      expect({ fate, held: mine.filter((id) => held.has(id)) }).toEqual({ fate, held: [] })
      if (fate === 'refused') expect(mine).toEqual([])
    }
    if (fate === 'conflict') {
      expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
      for (const id of mine) expect(s.emu.planetscale.isAlive(id)).toBe(true)
      expect(failure(runs[i]!)).toContain('concurrency:')
    }
  })
  // One of them rotated and the other changed nothing: its pair is everywhere, the invariants hold.
  const winner = fates.indexOf('rotated')
  if (winner >= 0 && fates.every((f) => f !== 'conflict')) {
    const [theirs] = tokensOf(s, runIds[winner]!)
    for (const scope of s.targets) expect({ scope, id: heldPair(s, scope).id }).toEqual({ scope, id: theirs })
    expect(invariantViolations(s)).toEqual([])
  }
  const loser = runIds[fates.findIndex((f) => f !== 'rotated')]!
  return { fates, loser }
}

/** A re-run of `runId` (attempt 2) with the pair the repository's secrets hold, as its workflow would read it. */
async function rerun(s: Scenario, runId: string): Promise<ActionRun> {
  const run = await runAction(
    { ...s.inputs, ...credentialsFrom(s, 'repo:acme/api'), 'token-name': 'race/{run_id}' },
    { env: { ...s.env, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '2' } }
  )
  expect({ code: run.code, message: failure(run), stderr: run.stderr }).toEqual({ code: 0, message: '', stderr: '' })
  expect(findLeaks(run, s.secrets())).toEqual([])
  return run
}

const PACES: [string, string][] = [
  ['20', '20'],
  ['0', '150'],
  ['250', '0']
]

describe('two rotations of the same token started together', () => {
  test('one rotates, or backs off or is refused with nothing changed, or both keep every token; a re-run of the other settles it', async () => {
    for (const pace of PACES) {
      const s = await scenario()
      const { loser } = await race(s, pace)
      await rerun(s, loser)
      expect(settledViolations(s)).toEqual([])
    }
  })
})

describe("another run's lease", () => {
  test('a run started while another run is writing its targets is refused with nothing changed; a re-run after it succeeds', async () => {
    const s = await startOne()
    // The first run stops between the repository's ID and token writes, its lease live.
    const held = s.emu.holdAt({ api: 'github', method: 'PUT', path: `${REPO_SECRETS}/${TOKEN_NAME}` })
    const first = start(s, RUN_A, { env: PATIENT })
    await held
    const journal = journalState(s)
    expect(journal?.open).toMatchObject({ run: `${RUN_A}/1`, phase: 'writing' })
    expect(Date.parse(journal!.open!.leaseUntil)).toBeGreaterThan(Date.now() + 10 * 60_000)

    const seen = s.emu.log.length
    const second = await start(s, RUN_B)
    expect(fateOf(second)).toBe('refused')
    expect(failure(second)).toContain(`Another run (${RUN_A}/1)`)
    expect(failure(second)).toContain(journal!.open!.leaseUntil)
    expect(failure(second)).toMatch(/Nothing was changed/)
    // Reads only, and no token: the first run is held, so every request since is the second run's.
    expect(s.emu.log.slice(seen).filter((e) => e.method !== 'GET')).toEqual([])
    expect(tokensOf(s, RUN_B)).toEqual([])
    expect(journalState(s)).toEqual(journal)
    expect(findLeaks(second, s.secrets())).toEqual([])

    // Released, the first run writes its token secret again and finishes.
    s.emu.releaseHolds()
    const done = await first
    expect({ code: done.code, message: failure(done) }).toEqual({ code: 0, message: '' })
    expect(heldPair(s, 'repo:acme/api').id).toBe(tokensOf(s, RUN_A)[0])
    expect(invariantViolations(s)).toEqual([])
    expect(journalState(s)?.open).toBeUndefined()

    await rerun(s, RUN_B)
    expect(settledViolations(s)).toEqual([])
  })

  test('a run killed while its lease is live: another run is refused; a re-run of it takes over at once and repairs the pair', async () => {
    const s = await startOne()
    const held = s.emu.holdAt({ api: 'github', method: 'PUT', path: `${REPO_SECRETS}/${TOKEN_NAME}` })
    let pid: number | undefined
    const first = start(s, RUN_A, { env: PATIENT, onStart: (p) => (pid = p) })
    await held
    process.kill(pid!, 'SIGKILL')
    const killed = await first
    expect(killed.signal).toBe('SIGKILL')
    const [newId] = tokensOf(s, RUN_A)
    // Killed between the two writes: the new ID with the old token. The one exception the contract
    // allows, and the journal knows the rotation is unfinished.
    expect(heldPair(s, 'repo:acme/api')).toEqual({ id: newId, token: s.token.token })
    expect(invariantViolations(s)).toEqual([
      `repo:acme/api: the stored pair (${newId}) does not authenticate: locked out`
    ])
    expect(journalState(s)?.open).toMatchObject({ run: `${RUN_A}/1`, phase: 'writing', from: s.token.id, to: newId })

    // Another workflow run, with the pair the repository holds: re-paired from the journal, then refused.
    const seen = s.emu.log.length
    const other = await runAction(
      { ...s.inputs, ...credentialsFrom(s), 'token-name': 'race/{run_id}' },
      { env: { ...s.env, GITHUB_RUN_ID: RUN_B } }
    )
    expect(fateOf(other)).toBe('refused')
    expect(failure(other)).toMatch(/re-run it \(a re-run of the same workflow run takes over at once\)/)
    expect(s.emu.log.slice(seen).filter((e) => e.method !== 'GET')).toEqual([])
    expect(tokensOf(s, RUN_B)).toEqual([])
    expect(findLeaks(other, s.secrets())).toEqual([])

    const repair = await rerun(s, RUN_A)
    expect(repair.outputs.repaired).toBe('true')
    expect(settledViolations(s)).toEqual([])
    // The killed run's token is retired like the original one: kept through the grace, then deleted.
    const retiring = journalState(s)?.retiring.map((r) => r.id)
    expect(retiring).toEqual(expect.arrayContaining([s.token.id, newId]))
  })
})

describe('both runs write (deterministic interleavings)', () => {
  // Run B rotates completely while run A's first secret write hangs (the journal then names B's
  // token as `current`); then A writes its pair everywhere and ends in conflict, keeping every token,
  // B's closed `current` included, for the re-run to retire.
  test('the run that finishes second keeps every token; a re-run retires all but the newest (after their grace)', async () => {
    const s = await startOne({ emulator: { latencyMs: 50 } })
    // An existing journal: both runs update it (a first-ever create by two runs is refused instead).
    s.emu.github.putVariable('repo:acme/api', JOURNAL.name, '{"version":1,"stale":[],"markers":[],"retiring":[]}')
    // A: its first secret write hangs 6 s, then fails and is written again.
    s.emu.addFault({ api: 'github', method: 'PUT', path: `${REPO_SECRETS}/${ID_NAME}`, response: { hangMs: 6_000 } })
    // B: reads the journal, and waits at its intent until A is at its first secret write.
    const bHeld = s.emu.holdAt({ api: 'github', method: 'PATCH', path: VARIABLE })
    const b = start(s, RUN_B, { env: PATIENT })
    await bHeld
    const a = start(s, RUN_A, { env: PATIENT })
    // B read twice (the start, before its intent); A reads four times before its writes.
    const reads = () => s.emu.log.filter((e) => e.method === 'GET' && e.path === VARIABLE && e.status === 200).length
    await until(() => reads() >= 6 && s.emu.github.concurrency.current >= 2, "A's first secret write")
    s.emu.releaseHolds()
    const [ranA, ranB] = await Promise.all([a, b])
    expect(fateOf(ranB)).toBe('rotated')
    expect(fateOf(ranA)).toBe('conflict')
    for (const id of [s.token.id, ...tokensOf(s, RUN_A), ...tokensOf(s, RUN_B)])
      expect(s.emu.planetscale.isAlive(id)).toBe(true)
    await rerun(s, RUN_A)
    expect(settledViolations(s)).toEqual([])
  })

  // Run B reads the journal (none yet) and is delayed at its intent; run A rotates completely
  // meanwhile. B's create then finds A's journal and writes nothing over it: A's record stays whole.
  test("a run whose intent lands after another run's whole rotation does not lose that rotation's tokens", async () => {
    const s = await startOne()
    const bHeld = s.emu.holdAt({ api: 'github', method: 'POST', path: '/repos/acme/api/actions/variables' })
    const b = start(s, RUN_B, { env: PATIENT })
    await bHeld
    const ranA = await start(s, RUN_A)
    expect(fateOf(ranA)).toBe('rotated')
    expect(invariantViolations(s)).toEqual([])
    const aToken = tokensOf(s, RUN_A)[0]!
    s.emu.releaseHolds()
    const ranB = await b
    // Whatever B does (back off, be refused, or rotate over A), A's token stays accounted for.
    expect(findLeaks(ranB, s.secrets())).toEqual([])
    const journal = journalState(s)
    const named = [journal?.current, journal?.open?.from, journal?.open?.to, ...(journal?.stale ?? [])]
    expect(
      heldPair(s, 'repo:acme/api').id === aToken ||
        named.includes(aToken) ||
        journal?.retiring.some((r) => r.id === aToken)
    ).toBe(true)
    expect(invariantViolations(s)).toEqual([])
  })
})
