// The rotation protocol with a journal, in process: a fault (or a kill, simulated by a request
// that never answers), then the next run with the secrets as the first one left them. After the
// next run the contract's invariants must hold: every target holds the newest pair, which
// authenticates and has the old token's accesses; no token is alive but the newest and those
// still inside their grace; the journal holds no secret and nothing unfinished.
import { describe, expect, test } from '@jest/globals'
import { InputError, RotationError } from '../../src/errors.js'
import { looksLikeToken } from '../../src/redact.js'
import type { JournalState } from '../../src/rotation/0-journal.js'
import { failureLines, type RunReport } from '../../src/rotation/7-report.js'
import type { Credentials, Grant } from '../../src/planetscale/types.js'
import type { ProtocolDeps } from '../../src/rotation/ports.js'
import { EXPIRY_MARGIN_MS, LEASE_MARGIN_MS, rotate, type RotateConfig } from '../../src/rotation/protocol.js'
import {
  ADMIN_ID,
  DAY_MS,
  FakeJournalStore,
  ID_NAME,
  NOW,
  OLD_ID,
  ORG,
  TOKEN_NAME,
  deps,
  leaks,
  planetscaleError,
  rotateConfig,
  scenario,
  targets,
  type Scenario,
  type ScenarioOptions
} from './fakes.js'

const REPO = 'repo:acme/api'
const ENV = 'environment:acme/api/production'
const ORG_TARGET = 'org:acme'
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const GRACE = { kind: 'after', seconds: 3600 } as const

interface World extends Scenario {
  store: FakeJournalStore
  labels: string[]
  /** The old token's accesses: what every pair must keep. */
  keys: string[]
  /** Reports and error messages of every run, for the secrecy check. */
  texts: string[]
  /** A run this test killed went on after all (it must not: the fault holds it for ever). */
  killedRunEnded: boolean
}

function world(options: ScenarioOptions = {}): World {
  const s = scenario(options)
  return {
    ...s,
    store: new FakeJournalStore(),
    labels: options.targets ?? [REPO],
    keys: s.ps.accessKeys(OLD_ID),
    texts: [],
    killedRunEnded: false
  }
}

interface RunOptions {
  runId: string
  /** Default: self-rotation with the pair the first target holds (the workflow reads it from there). */
  credentials?: Credentials
  config?: Partial<RotateConfig>
  deps?: Partial<ProtocolDeps>
}

function setUp(w: World, options: RunOptions): { deps: ProtocolDeps; config: RotateConfig } {
  const held = w.secrets.pair(w.labels[0]!)
  const credentials = options.credentials ?? (w.action.id === ADMIN_ID ? w.action : (held as Credentials))
  const config = rotateConfig(credentials, {
    targets: targets(...w.labels),
    runId: options.runId,
    ...(w.action.id === ADMIN_ID ? { tokenId: OLD_ID } : {}),
    ...options.config
  })
  return { deps: deps(w, credentials, { journal: w.store, ...options.deps }), config }
}

/** One run to its end; its report (checked for secrets later). */
async function runOnce(w: World, options: RunOptions): Promise<RunReport> {
  const { deps: d, config } = setUp(w, options)
  const report = await rotate(d, config)
  w.texts.push(JSON.stringify(report), ...failureLines(report))
  return report
}

/** One run that throws; its error. */
async function runFailing(w: World, options: RunOptions): Promise<Error> {
  const { deps: d, config } = setUp(w, options)
  const error = await rotate(d, config).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(Error)
  w.texts.push((error as Error).message)
  return error as Error
}

/** A run the runner kills: it is left hanging on a request that never answers (set up by the caller). */
function runKilled(w: World, options: RunOptions): void {
  const { deps: d, config } = setUp(w, options)
  const ended = () => {
    w.killedRunEnded = true
  }
  void rotate(d, config).then(ended, ended)
}

function advance(w: World, ms: number): void {
  void w.clock.sleep(ms)
}

const pair = (w: World, label = w.labels[0]!) => w.secrets.pair(label) as Credentials
const alive = (w: World) => [...w.ps.tokens.values()].filter((t) => !t.deleted).map((t) => t.id)
const outcomes = (report: RunReport) => report.targets.map((t) => `${t.label}: ${t.outcome}`)

/** Nothing in the logs, reports, errors or any value the journal ever held is a token value. */
function expectNoSecretOut(w: World): void {
  const out = [...w.log.lines.map((l) => l.message), ...w.texts]
  expect(leaks(w, [...out, ...w.store.history])).toEqual([])
  expect(out.filter(looksLikeToken)).toEqual([])
}

/** The first invariant, after any run: every target holds a pair that works with the old accesses. */
async function expectEveryPairWorks(w: World): Promise<void> {
  for (const label of w.labels) {
    const held = pair(w, label)
    await expect(w.ps.as(held).listOrganizations()).resolves.toEqual([ORG])
    expect(w.ps.accessKeys(held.id)).toEqual(w.keys)
  }
}

/**
 * The invariants after a run that met no fault: every target holds the newest pair, and it works
 * with the old accesses; no token is alive but it and those inside their grace (and the action's
 * own in a management workflow); the journal is closed and holds no secret.
 */
async function expectSettled(w: World): Promise<void> {
  const newest = w.ps.created().at(-1)!
  for (const label of w.labels) expect(pair(w, label)).toEqual({ id: newest.id, token: newest.secret })
  await expectEveryPairWorks(w)
  const journal = w.store.state
  const now = w.clock.now().getTime()
  const graced = journal.retiring.filter((r) => Date.parse(r.after) > now).map((r) => r.id)
  const mayLive = new Set([newest.id, ...graced, ...(w.action.id === ADMIN_ID ? [ADMIN_ID] : [])])
  expect(alive(w).filter((id) => !mayLive.has(id))).toEqual([])
  expect(journal).toMatchObject({ current: newest.id, stale: [], markers: [] })
  expect(journal.open).toBeUndefined()
  expectNoSecretOut(w)
  expect(w.killedRunEnded).toBe(false)
}

/** Nothing was changed by a run: the same tokens, secrets and journal as `before`. */
function snapshot(w: World) {
  return {
    tokens: alive(w),
    created: w.ps.created().length,
    grants: w.ps.calls.filter((c) => c.op === 'grantAccess').length,
    secretWrites: w.secrets.writes.length,
    journal: w.store.value
  }
}

/** Another run's journal: its own rotation open, its lease live. */
function otherRun(w: World, base: JournalState = w.store.state): JournalState {
  const now = w.clock.now().getTime()
  return {
    ...base,
    open: {
      marker: 'r-0e0e0e0e0e',
      run: '900/1',
      startedAt: new Date(now).toISOString(),
      leaseUntil: new Date(now + 30 * MINUTE).toISOString(),
      phase: 'creating',
      from: OLD_ID,
      targets: Object.fromEntries(w.labels.map((l) => [l, 'pending'])),
      graceSeconds: 0
    }
  }
}

describe('delete-previous with a grace period', () => {
  test('the old token outlives run 1 by its grace; a run 30 min later keeps it; a skipping run 61 min later deletes it', async () => {
    const w = world({ targets: [REPO, ENV] })
    const first = await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    const retiresAt = new Date(Date.parse(NOW) + HOUR).toISOString()
    expect(first).toMatchObject({ rotated: true, previousTokenDeleted: false, previousTokenRetiresAt: retiresAt })
    expect(first.nextRun).toEqual([`Delete ${OLD_ID} once 2026-01-11T01:00:00Z has passed.`])
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.ps.deletions).toEqual([])
    expect(w.store.state.retiring).toEqual([{ id: OLD_ID, after: retiresAt, replacedAt: NOW }])
    await expectSettled(w)
    const n1 = w.ps.created()[0]!

    advance(w, 30 * MINUTE)
    const writes = w.store.writes
    const early = await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE, minAgeSeconds: 30 * 86400 } })
    expect(early.skipped).toMatch(/less than min-age/)
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.store.writes).toBe(writes)
    await expectSettled(w)

    advance(w, 31 * MINUTE)
    const due = await runOnce(w, { runId: '102/1', config: { deletePrevious: GRACE, minAgeSeconds: 30 * 86400 } })
    expect(due.skipped).toMatch(/less than min-age/)
    expect(due.retired).toEqual([`Deleted ${OLD_ID} (replaced earlier; its grace was over).`])
    // By the action's token of the day, the new one; the journal written once, to forget it.
    expect(w.ps.deletions).toEqual([{ id: OLD_ID, by: n1.id }])
    expect(w.store.writes).toBe(writes + 1)
    expect(w.store.state.retiring).toEqual([])
    expect(w.log.warnings()).toEqual([])
    await expectSettled(w)
  })

  test('a run after the grace that rotates again deletes the old token and puts the one it replaces in grace', async () => {
    const w = world()
    await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    const n1 = w.ps.created()[0]!
    advance(w, 61 * MINUTE)
    const second = await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE } })
    const n2 = w.ps.created()[1]!
    expect(second).toMatchObject({ rotated: true, previousTokenDeleted: false })
    expect(w.ps.alive(OLD_ID)).toBe(false)
    expect(w.ps.alive(n1.id)).toBe(true)
    expect(w.store.state.retiring).toEqual([
      {
        id: n1.id,
        after: new Date(Date.parse(NOW) + 121 * MINUTE).toISOString(),
        replacedAt: new Date(Date.parse(NOW) + 61 * MINUTE).toISOString()
      }
    ])
    // The housekeeping goes before the create: deleted with the credentials of the run (n1).
    expect(w.ps.deletions).toEqual([{ id: OLD_ID, by: n1.id }])
    expect(n2.created_at).toBe(new Date(Date.parse(NOW) + 61 * MINUTE).toISOString())
    await expectSettled(w)
  })

  test('a token used 10 minutes ago is warned about before it goes, and still goes', async () => {
    const w = world()
    w.ps.trackUse = true
    await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    // A job that read the old pair before the rotation uses it inside the grace.
    advance(w, 51 * MINUTE)
    await w.ps.as(w.old).listOrganizations()
    advance(w, 10 * MINUTE)
    await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE, minAgeSeconds: 30 * 86400 } })
    expect(w.log.warnings()).toEqual([expect.stringMatching(/^Token oldid000001 was last used 10m ago, after it was/)])
    expect(w.ps.alive(OLD_ID)).toBe(false)
    await expectSettled(w)
  })

  test('deleting the replaced token fails: it goes into the journal and the next run deletes it', async () => {
    const w = world()
    w.ps.fail('deleteToken', planetscaleError(`delete token ${OLD_ID}`, 503))
    const first = await runOnce(w, { runId: '100/1' })
    expect(first).toMatchObject({ rotated: true, previousTokenDeleted: false })
    expect(first.problems).toEqual([expect.stringMatching(/deleting the replaced token oldid000001 failed.*next run/)])
    expect(w.store.state.retiring).toEqual([{ id: OLD_ID, after: NOW, replacedAt: NOW }])
    advance(w, MINUTE)
    const second = await runOnce(w, { runId: '101/1', config: { minAgeSeconds: 30 * 86400 } })
    expect(second.skipped).toBeDefined()
    expect(w.ps.alive(OLD_ID)).toBe(false)
    await expectSettled(w)
  })
})

describe('an unfinished rotation: the next run rotates again and retires its tokens', () => {
  test.each([REPO, ENV])(
    'partial failure, then a min-age run that does not skip (the workflow reads the pair of %s)',
    async (readFrom) => {
      const w = world({ targets: [REPO, ENV] })
      w.secrets.failWrite(ENV, TOKEN_NAME, { status: 403 })
      const first = await runOnce(w, { runId: '100/1', config: { minAgeSeconds: 5 * 86400 } })
      const n1 = w.ps.created()[0]!
      expect(outcomes(first)).toEqual([`${REPO}: written`, `${ENV}: restored`])
      expect(first.problems).toEqual([expect.stringMatching(/The next run rotates again and writes every target/)])
      expect(first.nextRun).toEqual([expect.stringMatching(/^Rotate again/)])
      // The open rotation stays, with each target's result and the lease released.
      expect(w.store.state.open).toMatchObject({
        run: '100/1',
        phase: 'writing',
        from: OLD_ID,
        to: n1.id,
        leaseUntil: NOW,
        targets: { [REPO]: 'written', [ENV]: 'restored' }
      })
      await expectEveryPairWorks(w)

      advance(w, 5 * MINUTE)
      const second = await runOnce(w, {
        runId: '101/1',
        credentials: pair(w, readFrom),
        config: { minAgeSeconds: 5 * 86400 }
      })
      expect(second.skipped).toBeUndefined()
      expect(second).toMatchObject({ rotated: true, problems: [] })
      expect(second.repaired).toEqual([expect.stringMatching(/^Took over the unfinished rotation of run 100\/1/)])
      expect(w.ps.alive(OLD_ID)).toBe(false)
      expect(w.ps.alive(n1.id)).toBe(false)
      await expectSettled(w)
    }
  )

  test('with a grace period, both tokens of the unfinished rotation wait out the grace, then go', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.secrets.failWrite(ENV, ID_NAME, { status: 403 })
    await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    const n1 = w.ps.created()[0]!
    await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE } })
    expect(w.store.state.retiring.map((r) => r.id).sort()).toEqual([OLD_ID, n1.id].sort())
    await expectSettled(w)
    advance(w, HOUR)
    await runOnce(w, { runId: '102/1', config: { deletePrevious: GRACE, minAgeSeconds: 30 * 86400 } })
    expect(w.ps.alive(OLD_ID)).toBe(false)
    expect(w.ps.alive(n1.id)).toBe(false)
    await expectSettled(w)
  })

  test('an uncertain target, then the next run', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.secrets.failWrite(ENV, TOKEN_NAME, { status: 502, lands: true, times: 2 })
    const first = await runOnce(w, { runId: '100/1' })
    expect(outcomes(first)).toEqual([`${REPO}: written`, `${ENV}: uncertain`])
    expect(w.store.state.open?.targets).toEqual({ [REPO]: 'written', [ENV]: 'uncertain' })
    await runOnce(w, { runId: '101/1', config: { minAgeSeconds: 30 * 86400 } })
    await expectSettled(w)
  })
})

describe('runs that overlap, or were killed', () => {
  /** Run 1 killed while writing the token secret of ENV (REPO written, ENV's ID landed). */
  async function killedWhileWriting(w: World): Promise<void> {
    w.secrets.failWrite(ENV, TOKEN_NAME, { hangs: true })
    runKilled(w, { runId: '100/1' })
    await w.secrets.whenHung()
    const n1 = w.ps.created()[0]!
    expect(pair(w, REPO)).toEqual({ id: n1.id, token: n1.secret })
    expect(pair(w, ENV)).toEqual({ id: n1.id, token: w.old.token })
    expect(w.store.state.open).toMatchObject({ run: '100/1', phase: 'writing', to: n1.id })
  }

  test('another run while the killed run’s lease holds is refused: nothing changed; after the lease, it repairs', async () => {
    const w = world({ targets: [REPO, ENV] })
    await killedWhileWriting(w)
    advance(w, 5 * MINUTE)
    const before = snapshot(w)
    const error = await runFailing(w, { runId: '101/1' })
    expect(error).toBeInstanceOf(RotationError)
    expect(error.message).toMatch(/^Another run \(100\/1\) began a rotation at .* may still be at it/)
    expect(error.message).toContain('Nothing was changed.')
    expect(snapshot(w)).toEqual(before)

    const lease = Date.parse(w.store.state.open!.leaseUntil)
    expect(lease - Date.parse(NOW)).toBeGreaterThanOrEqual(LEASE_MARGIN_MS)
    advance(w, lease - w.clock.now().getTime())
    const later = await runOnce(w, { runId: '102/1', config: { minAgeSeconds: 30 * 86400 } })
    expect(later).toMatchObject({ rotated: true, problems: [] })
    await expectSettled(w)
  })

  test('attempt 2 of the same workflow run takes over at once', async () => {
    const w = world({ targets: [REPO, ENV] })
    await killedWhileWriting(w)
    advance(w, MINUTE)
    const retry = await runOnce(w, { runId: '100/2' })
    expect(retry).toMatchObject({ rotated: true, problems: [] })
    expect(retry.repaired).toEqual([
      expect.stringMatching(/^Took over the unfinished rotation of run 100\/1 \(writing\)/)
    ])
    expect(w.log.warnings()).toContainEqual(expect.stringMatching(/not written: .*production \(pending\)/))
    await expectSettled(w)
  })

  test.each([
    { when: 'attempt 2', runId: '100/2', wait: MINUTE },
    { when: 'another run after the lease', runId: '101/1', wait: HOUR }
  ])(
    'a half-written self-rotation pair (new ID, old token) is re-paired and repaired: $when',
    async ({ runId, wait }) => {
      const w = world()
      w.secrets.failWrite(REPO, TOKEN_NAME, { hangs: true })
      runKilled(w, { runId: '100/1' })
      await w.secrets.whenHung()
      const n1 = w.ps.created()[0]!
      const halfWritten = pair(w)
      expect(halfWritten).toEqual({ id: n1.id, token: w.old.token })
      await expect(w.ps.as(halfWritten).listOrganizations()).rejects.toMatchObject({ status: 401 })

      advance(w, wait)
      const repair = await runOnce(w, { runId, credentials: halfWritten })
      expect(repair).toMatchObject({ rotated: true, problems: [] })
      expect(repair.repaired[0]).toMatch(/^Re-paired the credentials: newid0000001 was refused/)
      expect(w.log.warnings()).toContainEqual(expect.stringMatching(/authenticates with oldid000001/))
      expect(w.ps.alive(n1.id)).toBe(false)
      expect(w.ps.alive(OLD_ID)).toBe(false)
      await expectSettled(w)
    }
  )

  test('a pair refused with nothing in the journal to re-pair it with: the refusal, nothing changed', async () => {
    const w = world()
    const before = snapshot(w)
    const error = await runFailing(w, { runId: '100/1', credentials: { id: OLD_ID, token: 'pscale_tkn_wrong' } })
    expect(error).toMatchObject({ status: 401 })
    expect(snapshot(w)).toEqual(before)
  })

  test('killed after writing every target (phase written): the next run closes it and retires the old token', async () => {
    const w = world({ targets: [REPO, ENV] })
    // Writes: intent, the new ID, written, then the end (killed there).
    w.store.hangOnWrite = 4
    runKilled(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    await w.store.whenHung()
    expect(w.store.state.open).toMatchObject({ phase: 'written', graceSeconds: 3600 })
    advance(w, 2 * HOUR)
    const next = await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE } })
    expect(next.repaired).toEqual([expect.stringMatching(/^Finished the rotation that run 100\/1 left/)])
    expect(w.ps.alive(OLD_ID)).toBe(false)
    await expectSettled(w)
  })

  test('concurrent intent: another run writes its own between this run’s intent and its re-read → backs off', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.store.afterWrite = (store) => {
      if (store.writes === 1) store.put(otherRun(w))
    }
    const before = snapshot(w)
    const error = await runFailing(w, { runId: '100/1' })
    expect(error.message).toMatch(/^Another run began a rotation at the same time .* nothing was changed/)
    expect(snapshot(w)).toEqual({ ...before, journal: w.store.value })
    expect(w.store.state.open?.run).toBe('900/1')
  })

  test('another run writes its intent while this one creates and tests: backs off, its new token deleted again', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.store.afterWrite = (store) => {
      if (store.writes === 2) store.put(otherRun(w))
    }
    const error = await runFailing(w, { runId: '100/1' })
    const n1 = w.ps.created()[0]!
    expect(error.message).toMatch(/^Another run began a rotation at the same time/)
    expect(error.message).toContain(`Its new token ${n1.id} was deleted again.`)
    expect(w.ps.alive(n1.id)).toBe(false)
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.secrets.writes).toEqual([])
  })

  test('two runs started together: one backs off before touching anything, the other rotates', async () => {
    const w = world({ targets: [REPO, ENV] })
    const a = setUp(w, { runId: '100/1' })
    const b = setUp(w, { runId: '200/1' })
    const results = await Promise.allSettled([rotate(a.deps, a.config), rotate(b.deps, b.config)])
    const failed = results.filter((r) => r.status === 'rejected')
    expect(failed).toHaveLength(1)
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/Another run/)
    expect(w.ps.created()).toHaveLength(1)
    await expectSettled(w)
  })

  test('conflict at the finish: both tokens kept, the journal says unfinished, the next run repairs', async () => {
    const w = world({ targets: [REPO, ENV] })
    // Reads: the journal, before the intent, after the intent, after the test, at the finish.
    w.store.beforeRead = (store) => {
      if (store.reads === 5) store.put(otherRun(w, { ...store.state, stale: [], markers: [] }))
    }
    const first = await runOnce(w, { runId: '100/1' })
    const n1 = w.ps.created()[0]!
    expect(first.problems).toEqual([expect.stringMatching(/^Another run rotated the same line while this one wrote/)])
    expect(first.previousTokenDeleted).toBe(false)
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.ps.alive(n1.id)).toBe(true)
    expect(w.ps.deletions).toEqual([])
    const journal = w.store.state
    expect(journal.open).toBeUndefined()
    expect(journal.stale.sort()).toEqual([OLD_ID, n1.id].sort())
    expect(journal.markers).toHaveLength(2)
    await expectEveryPairWorks(w)

    w.store.beforeRead = undefined
    advance(w, MINUTE)
    const next = await runOnce(w, { runId: '101/1', config: { minAgeSeconds: 30 * 86400 } })
    const newest = w.ps.created().at(-1)!
    expect(next).toMatchObject({ rotated: true, problems: [] })
    for (const label of w.labels) expect(pair(w, label)).toEqual({ id: newest.id, token: newest.secret })
    await expectEveryPairWorks(w)
    expect(w.ps.alive(n1.id)).toBe(false)
    expect(w.store.state).toMatchObject({ current: newest.id, stale: [], markers: [] })
    expectNoSecretOut(w)
    // OLD_ID, listed in `stale` with no rotation open, is retired too.
    expect(w.ps.alive(OLD_ID)).toBe(false)
    await expectSettled(w)
  })
})

describe('a token created but never recorded leaves no orphan', () => {
  test('recording its ID fails: it is deleted at once; attempt 2 rotates', async () => {
    const w = world()
    w.store.beforeWrite = (store) => {
      if (store.attempts === 2) store.failWrites = { count: 1 }
    }
    const error = await runFailing(w, { runId: '100/1' })
    const n1 = w.ps.created()[0]!
    expect(error.message).toMatch(/^Writing the journal .* failed/)
    expect(error.message).toContain(`The new token ${n1.id} was deleted again; no secret was changed.`)
    expect(w.ps.alive(n1.id)).toBe(false)
    expect(w.secrets.writes).toEqual([])
    expect(w.ps.created()[0]!.name).toMatch(/ r-[0-9a-f]{10}$/)

    w.store.beforeWrite = undefined
    await runOnce(w, { runId: '100/2' })
    await expectSettled(w)
  })

  test.each([
    { how: 'recording its ID fails, and so does deleting it', killed: false },
    { how: 'the run is killed while recording its ID', killed: true }
  ])('$how: the next run finds it by the marker in its name and deletes it', async ({ killed }) => {
    const w = world()
    if (killed) {
      w.store.hangOnWrite = 2
      runKilled(w, { runId: '100/1' })
      await w.store.whenHung()
    } else {
      w.store.beforeWrite = (store) => {
        if (store.attempts === 2) store.failWrites = { count: 1 }
      }
      w.ps.fail('deleteToken', planetscaleError('delete token', 500))
      const error = await runFailing(w, { runId: '100/1' })
      expect(error.message).toMatch(/Deleting the new token newid0000001 again failed/)
    }
    const n1 = w.ps.created()[0]!
    expect(w.ps.alive(n1.id)).toBe(true)
    // Recorded or not, the new token is known to no target: the journal says `creating`.
    expect(w.store.state.open).toMatchObject({ phase: 'creating' })
    expect([undefined, n1.id]).toContain(w.store.state.open?.to)

    w.store.beforeWrite = undefined
    const next = await runOnce(w, { runId: '100/2' })
    expect(next.repaired).toContainEqual(`Deleted 1 token(s) that interrupted runs left: ${n1.id}.`)
    expect(w.ps.alive(n1.id)).toBe(false)
    await expectSettled(w)
  })
})

describe('the journal’s own failures, and dry runs', () => {
  test('the last journal write fails: a problem; attempt 2 finds the rotation written and closes it', async () => {
    const w = world()
    // Writes: intent, the new ID, written, the end.
    w.store.beforeWrite = (store) => {
      if (store.attempts === 4) store.failWrites = { count: 1 }
    }
    const first = await runOnce(w, { runId: '100/1' })
    expect(first.rotated).toBe(true)
    expect(first.problems).toEqual([
      expect.stringMatching(/^Writing the journal .* failed: .* The next run finds the journal as this run last wrote/)
    ])
    expect(w.store.state.open).toMatchObject({ phase: 'written' })
    expect(w.ps.alive(OLD_ID)).toBe(false)

    w.store.beforeWrite = undefined
    const next = await runOnce(w, { runId: '100/2' })
    expect(next.repaired).toEqual([expect.stringMatching(/^Finished the rotation that run 100\/1 left/)])
    await expectSettled(w)
  })

  test('recording that every target is written fails: nothing retired, a problem; attempt 2 finishes', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.store.beforeWrite = (store) => {
      if (store.attempts === 3) store.failWrites = { count: 1 }
    }
    const first = await runOnce(w, { runId: '100/1' })
    const n1 = w.ps.created()[0]!
    expect(first.problems).toEqual([
      expect.stringMatching(
        /^Writing the journal .* failed: .* Every target holds the new pair; the replaced token is kept/
      )
    ])
    expect(first.previousTokenDeleted).toBe(false)
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.store.state.open).toMatchObject({ phase: 'writing', to: n1.id })
    await expectEveryPairWorks(w)

    w.store.beforeWrite = undefined
    await runOnce(w, { runId: '100/2', config: { minAgeSeconds: 30 * 86400 } })
    expect(w.ps.alive(OLD_ID)).toBe(false)
    await expectSettled(w)
  })

  test('dry run: the plan names the tokens whose grace is over, and nothing is deleted or written', async () => {
    const w = world()
    await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    advance(w, 61 * MINUTE)
    const before = snapshot(w)
    const report = await runOnce(w, { runId: '101/1', config: { deletePrevious: GRACE, dryRun: true } })
    expect(report.skipped).toBe('dry run')
    expect(w.log.lines.map((l) => l.message)).toContainEqual(`  delete ${OLD_ID} (their grace is over)`)
    expect(snapshot(w)).toEqual(before)
    expect(w.ps.alive(OLD_ID)).toBe(true)
  })

  test('dry run after a partial run: the plan says the unfinished rotation’s tokens are retired', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.secrets.failWrite(ENV, TOKEN_NAME, { status: 403 })
    await runOnce(w, { runId: '100/1' })
    const before = snapshot(w)
    await runOnce(w, { runId: '101/1', config: { dryRun: true } })
    expect(w.log.lines.map((l) => l.message)).toContainEqual(`  retire ${OLD_ID} (an unfinished rotation's)`)
    expect(snapshot(w)).toEqual(before)
  })
})

describe('refused before any change', () => {
  test('the journal write of the intent fails: no token created, nothing written; the next run rotates', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.store.failWrites = { count: 1 }
    const before = snapshot(w)
    const error = await runFailing(w, { runId: '100/1' })
    expect(error.message).toMatch(/^Writing the journal repo:acme\/api variable .* failed/)
    expect(snapshot(w)).toEqual(before)
    expect(w.store.value).toBeUndefined()
    await runOnce(w, { runId: '101/1' })
    await expectSettled(w)
  })

  test.each([
    { left: EXPIRY_MARGIN_MS + 2 * 11_000 - 1, refused: true },
    { left: EXPIRY_MARGIN_MS + 2 * 11_000, refused: false }
  ])(
    'the github-token expires in $left ms (3 targets need 2 × 11 s + 5 min): refused $refused',
    async ({ left, refused }) => {
      const w = world({ targets: [REPO, ENV, ORG_TARGET] })
      // 3 targets: 6 secret writes and 4 journal writes, 1 s apart, and 1 s to test the new token.
      const tuning = {
        writeSpacingMs: 1000,
        githubTokenExpiresAt: () => new Date(w.clock.now().getTime() + left)
      }
      const before = snapshot(w)
      if (refused) {
        const error = await runFailing(w, { runId: '100/1', deps: tuning })
        expect(error.message).toMatch(/^The github-token expires at .* Nothing was changed/)
        expect(snapshot(w)).toEqual(before)
      } else {
        await runOnce(w, { runId: '100/1', deps: tuning })
        await expectSettled(w)
      }
    }
  )

  test.each<{ what: string; accesses?: Grant[]; old?: Grant[]; error: unknown; message: RegExp }>([
    {
      what: 'explicit accesses it does not hold: an input error',
      accesses: [{ database: 'billing-db', access: ['read_branch'] }],
      error: InputError,
      message: /^Input "accesses": the action's token adminid0001 does not hold database:billing-db:read_branch/
    },
    {
      what: 'copied accesses it does not hold: a rotation error',
      old: [{ database: 'billing-db', access: ['connect_branch'] }],
      error: RotationError,
      message: /^The accesses of oldid000001 cannot be copied: .* database:billing-db:connect_branch/
    },
    {
      what: 'a misspelt access: refused, with a hint',
      accesses: [{ database: 'app-db', access: ['read_brnach'] }],
      error: InputError,
      message: /does not hold database:app-db:read_brnach/
    }
  ])('the action’s token cannot grant $what; nothing changed', async ({ accesses, old, error, message }) => {
    const w = world({ rotating: 'other', grants: old })
    const before = snapshot(w)
    const thrown = await runFailing(w, { runId: '100/1', config: accesses ? { accesses } : {} })
    expect(thrown).toBeInstanceOf(error)
    expect(thrown.message).toMatch(message)
    expect(thrown.message).toContain('Nothing was changed')
    expect(snapshot(w)).toEqual(before)
    if (accesses?.[0]?.access[0] === 'read_brnach')
      expect(w.log.warnings()).toEqual([expect.stringContaining('did you mean "read_branch"')])
  })

  test('an access held organization-wide may be granted on a database; an unknown name is only a warning', async () => {
    const w = world({ rotating: 'other' })
    w.ps
      .token(ADMIN_ID)
      .accesses.push(
        { access: 'read_branch', resource_type: 'Organization', resource_name: ORG },
        { access: 'read_future', resource_type: 'Organization', resource_name: ORG }
      )
    const accesses = [
      { database: '', access: ['read_future'] },
      { database: 'billing-db', access: ['read_branch'] }
    ]
    const report = await runOnce(w, { runId: '100/1', config: { accesses } })
    expect(report).toMatchObject({ rotated: true, problems: [] })
    expect(w.ps.accessKeys(w.ps.created()[0]!.id)).toEqual([
      'database:billing-db:read_branch',
      'organization:read_future'
    ])
    expect(w.log.warnings()).toEqual([expect.stringMatching(/^"read_future" is not an access name PlanetScale lists/)])
  })
})

describe('the journal’s costs and its absence', () => {
  test.each([1, 10, 11, 25])('%i target(s): at most 3 + ⌈targets/10⌉ journal writes', async (count) => {
    const labels = Array.from({ length: count }, (_, i) => `repo:acme/app${i}`)
    const w = world({ targets: labels })
    const report = await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    expect(report.targets.every((t) => t.outcome === 'written')).toBe(true)
    expect(w.store.writes).toBeLessThanOrEqual(3 + Math.ceil(count / 10))
    await expectSettled(w)
  })

  test('25 targets, one of them failing: still within the budget, and every result recorded', async () => {
    const labels = Array.from({ length: 25 }, (_, i) => `repo:acme/app${i}`)
    const w = world({ targets: labels })
    w.secrets.failWrite('repo:acme/app17', ID_NAME, { status: 403 })
    await runOnce(w, { runId: '100/1' })
    expect(w.store.writes).toBeLessThanOrEqual(3 + 3)
    const recorded = w.store.state.open!.targets
    expect(Object.values(recorded).filter((t) => t === 'written')).toHaveLength(24)
    expect(recorded['repo:acme/app17']).toBe('unchanged')
  })

  test('a management workflow keeps naming the first token: the journal leads it to the current one', async () => {
    const w = world({ rotating: 'other', targets: [REPO, ENV] })
    await runOnce(w, { runId: '100/1' })
    const n1 = w.ps.created()[0]!
    advance(w, DAY_MS)
    const second = await runOnce(w, { runId: '101/1' })
    expect(second.previousToken?.id).toBe(n1.id)
    expect(w.log.lines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/token-id oldid000001 was replaced by this action earlier .* rotating the line's current/)
    )
    expect(w.ps.alive(n1.id)).toBe(false)
    await expectSettled(w)
  })

  test('journal: none keeps the one-run behaviour: no marker, no memory, min-age skips after a partial run', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.secrets.failWrite(ENV, TOKEN_NAME, { status: 403 })
    const none = { journal: undefined }
    const first = await runOnce(w, { runId: '100/1', deps: none, config: { minAgeSeconds: 5 * 86400 } })
    const n1 = w.ps.created()[0]!
    expect(first.journal).toBe('none')
    expect(n1.name).toBe('github-actions/acme/api/2026-01-11')
    expect(first.problems).toEqual([expect.stringMatching(/`journal: none`: no later run knows of these tokens/)])
    const second = await runOnce(w, { runId: '101/1', deps: none, config: { minAgeSeconds: 5 * 86400 } })
    expect(second.skipped).toMatch(/less than min-age/)
    expect(w.ps.alive(OLD_ID)).toBe(true)
    expect(w.ps.alive(n1.id)).toBe(true)
    expect([w.store.reads, w.store.writes, w.store.value]).toEqual([0, 0, undefined])
  })
})

describe('a run that ends early releases the journal', () => {
  test('the grant fails: the new token is deleted, and another run straight after is not refused', async () => {
    const w = world()
    w.ps.fail('grantAccess', planetscaleError('grant access', 500))
    const error = await runFailing(w, { runId: '100/1' })
    expect(error.message).toMatch(/was deleted again/)
    expect(Date.parse(w.store.state.open!.leaseUntil)).toBeLessThanOrEqual(Date.parse(NOW))
    expect(w.store.state.open?.phase).toBe('creating')
    const next = await runOnce(w, { runId: '101/1' })
    expect(next).toMatchObject({ rotated: true, problems: [] })
    await expectSettled(w)
  })

  test('a sibling job of the same workflow run with other targets is not taken over while its lease holds', async () => {
    const w = world({ targets: [REPO, ENV] })
    // The sibling job (same run ID, another line) is still writing: its lease is live.
    w.store.put({
      version: 1,
      stale: [],
      markers: [],
      retiring: [],
      open: {
        marker: 'r-00aa11bb22',
        run: '100/1',
        startedAt: NOW,
        leaseUntil: new Date(Date.parse(NOW) + HOUR).toISOString(),
        phase: 'writing',
        from: 'siblingold01',
        to: 'siblingnew01',
        targets: { 'repo:acme/web': 'pending' },
        graceSeconds: 3600
      }
    })
    const error = await runFailing(w, { runId: '100/1' })
    expect(error).toBeInstanceOf(RotationError)
    expect(error.message).toMatch(/a journal each/)
    expect(w.ps.created()).toEqual([])
  })
})

describe('a run that read the secrets before an earlier rotation wrote them', () => {
  test('it rotates the old pair anyway and retires the token that earlier rotation made', async () => {
    const w = world({ targets: [REPO, ENV] })
    const stalePair = pair(w)
    await runOnce(w, { runId: '100/1', config: { deletePrevious: GRACE } })
    const n1 = w.ps.created()[0]!
    advance(w, MINUTE)
    // A second workflow run whose job read the secrets before run 100 wrote them.
    const late = await runOnce(w, { runId: '101/1', credentials: stalePair, config: { deletePrevious: GRACE } })
    expect(late.rotated).toBe(true)
    expect(w.log.warnings().join('\n')).toContain(`already replaced by ${n1.id}`)
    expect(w.store.state.retiring.map((r) => r.id).sort()).toEqual([OLD_ID, n1.id].sort())
    await expectSettled(w)
  })
})

describe('a journal shared by two lines of tokens', () => {
  test('unfinished work on other targets is refused, not taken over; overlapping targets are the same line', async () => {
    const w = world({ targets: [REPO, ENV] })
    w.ps.fail('grantAccess', planetscaleError('grant access', 500))
    // Another line (only repo:acme/web) left an unfinished rotation in this journal.
    w.store.put({
      version: 1,
      stale: [],
      markers: [],
      retiring: [],
      open: {
        marker: 'r-00aa11bb22',
        run: '90/1',
        startedAt: NOW,
        leaseUntil: NOW,
        phase: 'writing',
        from: 'otherline001',
        to: 'otherline002',
        targets: { 'repo:acme/web': 'pending' },
        graceSeconds: 3600
      }
    })
    const error = await runFailing(w, { runId: '100/1' })
    expect(error.message).toMatch(/records the rotations of other targets \(repo:acme\/web\).*its own journal/)
    expect(w.ps.created()).toEqual([])
    expect(w.store.state.open?.run).toBe('90/1')
  })

  test('a target dropped from an unfinished rotation: a warning, and the rotation goes on', async () => {
    const w = world({ targets: [REPO] })
    w.store.put({
      version: 1,
      stale: [],
      markers: [],
      retiring: [],
      open: {
        marker: 'r-00aa11bb22',
        run: '90/1',
        startedAt: NOW,
        leaseUntil: NOW,
        phase: 'writing',
        from: OLD_ID,
        targets: { [REPO]: 'written', 'repo:acme/web': 'broken' },
        graceSeconds: 3600
      }
    })
    const report = await runOnce(w, { runId: '100/1' })
    expect(report.rotated).toBe(true)
    expect(w.log.warnings().join('\n')).toContain('repo:acme/web took part in the unfinished rotation')
  })
})
