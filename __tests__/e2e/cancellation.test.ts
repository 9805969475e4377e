// Cancelling a run: GitHub sends SIGINT, then SIGTERM about 7.5 s later, then kills the process.
// A signal during step 5 must let the pair in flight finish (or put the old pair back, or record it
// as uncertain when it cannot be settled in time), start no other target, and exit non-zero before
// the kill; the invariants hold afterwards, and the next run finishes the rotation. Timing is
// driven by emulator latency and hangs, so each signal lands at a known point of the protocol.
import { describe, expect, test } from '@jest/globals'
import type { LogEntry } from '../../emulator/index.js'
import {
  ID_NAME,
  TARGET_SETS,
  TOKEN_NAME,
  annotations,
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

/** The runner's grace between SIGINT and SIGTERM (and the kill that follows). */
const RUNNER_GRACE_MS = 7_500

const scenario = scenarios({ targets: TARGET_SETS.three })

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the run never reached the point where the signal is due')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Starts the action, sends `signal` once `when` holds, and returns the run and how long it took to exit after the signal. */
async function cancelled(
  s: Scenario,
  signal: NodeJS.Signals,
  when: (log: LogEntry[]) => boolean,
  env: Record<string, string> = {}
): Promise<{ run: ActionRun; exitMs: number }> {
  let pid: number | undefined
  const running = runAction(s.inputs, { env: { ...s.env, ...env }, onStart: (p) => (pid = p), timeoutMs: 30_000 })
  await until(() => when(s.emu.log), 20_000)
  const signalledAt = Date.now()
  process.kill(pid!, signal)
  const run = await running
  return { run, exitMs: Date.now() - signalledAt }
}

const REPO_SECRETS = '/repos/acme/api/actions/secrets'
// With pairs overlapping, the other targets' pairs begin one spacing (20 ms) after the hanging
// write, and whether the signal lands before them is a race on a loaded machine. These tests
// are about the hanging write; the overlap has its own test (two pairs in flight).
const ONE_PAIR_AT_A_TIME = { PSCALE_ACTION_WRITE_CONCURRENCY: '1' }
const isPut = (path: string) => (e: LogEntry) => e.method === 'PUT' && e.path === path

function expectCommon(s: Scenario, run: ActionRun, exitMs: number, violations: string[] = []): void {
  expect(run.signal).toBeNull() // it exited by itself, not killed
  expect(run.code).not.toBe(0)
  expect(exitMs).toBeLessThan(RUNNER_GRACE_MS)
  expect(annotations(run, 'warning').join('\n')).toMatch(/SIG(INT|TERM) received/)
  expect(findLeaks(run, s.secrets())).toEqual([])
  // The old token stays: not every target holds the new pair.
  expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
  expect(invariantViolations(s)).toEqual(violations)
  // The run ended on its own: a rotation it leaves open is released for the next run at once.
  const open = journalState(s)?.open
  if (open) expect(Date.parse(open.leaseUntil)).toBeLessThanOrEqual(Date.now())
}

/** The journal's record of each target of the rotation the run left open. */
function recorded(s: Scenario): Record<string, string> | undefined {
  return journalState(s)?.open?.targets
}

/** The next scheduled run, with the pair the repository holds: it finishes what the cancelled run left. */
async function nextRun(s: Scenario): Promise<void> {
  s.emu.clearFaults()
  s.emu.setLatency({ routes: [] })
  const run = await runAction({ ...s.inputs, ...credentialsFrom(s) }, { env: { ...s.env, GITHUB_RUN_ID: '4343' } })
  expect({ code: run.code, message: failure(run) }).toEqual({ code: 0, message: '' })
  expect(run.outputs.repaired).toBe('true')
  expect(settledViolations(s)).toEqual([])
  expect(findLeaks(run, s.secrets())).toEqual([])
}

describe('a signal while targets are being written', () => {
  test('SIGINT while the first pair is in flight: that pair is completed, no other target is started', async () => {
    const s = await scenario()
    s.emu.setLatency({ routes: [{ api: 'github', method: 'PUT', path: /\/secrets\/[A-Z_]+$/, ms: 700 }] })
    // The ID write of the first target has been answered: its token write is next. At the
    // default spacing (1 s, more than the latency) no other pair has begun.
    const { run, exitMs } = await cancelled(s, 'SIGINT', (log) => log.some(isPut(`${REPO_SECRETS}/${ID_NAME}`)), {
      PSCALE_ACTION_WRITE_SPACING_MS: '1000'
    })
    expectCommon(s, run, exitMs)
    const [newId] = createdTokenIds(s)
    expect(heldPair(s, 'repo:acme/api').id).toBe(newId)
    expect(s.emu.planetscale.isAlive(newId!)).toBe(true)
    for (const scope of ['environment:acme/api/production', 'org:acme']) {
      expect(heldPair(s, scope)).toEqual({ id: s.token.id, token: s.token.token })
    }
    // Nothing was written after the pair in flight.
    expect(s.emu.log.filter((e) => e.method === 'PUT').map((e) => e.path)).toEqual([
      `${REPO_SECRETS}/${ID_NAME}`,
      `${REPO_SECRETS}/${TOKEN_NAME}`
    ])
    expect(run.outputs).toMatchObject({ rotated: 'false', 'previous-token-deleted': 'false', 'targets-written': '1' })
    expect(annotations(run, 'error').join('\n')).toMatch(/environment:acme\/api\/production: skipped/)
    expect(recorded(s)).toEqual({
      'repo:acme/api': 'written',
      'environment:acme/api/production': 'pending',
      'org:acme': 'pending'
    })
    await nextRun(s)
  })

  test('SIGINT with two pairs in flight (latency above the spacing): both are completed, the third target is not started', async () => {
    const s = await scenario()
    s.emu.setLatency({ routes: [{ api: 'github', method: 'PUT', path: /\/secrets\/[A-Z_]+$/, ms: 700 }] })
    const ENV_SECRETS = '/repos/acme/api/environments/production/secrets'
    // Two pairs at most: while the repository's ID write waits for its answer, the environment's begins.
    const { run, exitMs } = await cancelled(s, 'SIGINT', (log) => log.some(isPut(`${REPO_SECRETS}/${ID_NAME}`)), {
      PSCALE_ACTION_WRITE_CONCURRENCY: '2'
    })
    expectCommon(s, run, exitMs)
    const [newId] = createdTokenIds(s)
    for (const scope of ['repo:acme/api', 'environment:acme/api/production']) {
      expect(heldPair(s, scope).id).toBe(newId)
      expect(s.emu.planetscale.authenticates({ id: newId!, token: heldPair(s, scope).token! })).toBe(true)
    }
    expect(heldPair(s, 'org:acme')).toEqual({ id: s.token.id, token: s.token.token })
    const puts = s.emu.log.filter((e) => e.method === 'PUT').map((e) => e.path)
    expect(puts.sort()).toEqual(
      [
        `${REPO_SECRETS}/${TOKEN_NAME}`,
        `${REPO_SECRETS}/${ID_NAME}`,
        `${ENV_SECRETS}/${TOKEN_NAME}`,
        `${ENV_SECRETS}/${ID_NAME}`
      ].sort()
    )
    expect(run.outputs).toMatchObject({ rotated: 'false', 'previous-token-deleted': 'false', 'targets-written': '2' })
    expect(annotations(run, 'error').join('\n')).toMatch(/org:acme: skipped/)
  })

  test('SIGTERM while the token write hangs: the write is abandoned after the grace period and written again', async () => {
    const s = await scenario()
    // A connection that never answers, and a request timeout longer than the runner's grace:
    // only the action's own cancellation deadline can end the wait.
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${TOKEN_NAME}`,
      response: { hangMs: 20_000 }
    })
    const { run, exitMs } = await cancelled(s, 'SIGTERM', (log) => log.some(isPut(`${REPO_SECRETS}/${ID_NAME}`)), {
      PSCALE_ACTION_REQUEST_TIMEOUT_MS: '30000',
      ...ONE_PAIR_AT_A_TIME
    })
    expectCommon(s, run, exitMs)
    // Its outcome unknown, the token write is made again (writing the old ID back could pair it with
    // the new token, had the first write landed): the target holds the new pair, the others the old.
    const [newId] = createdTokenIds(s)
    expect(heldPair(s, 'repo:acme/api').id).toBe(newId)
    expect(s.emu.planetscale.isAlive(newId!)).toBe(true)
    for (const scope of ['environment:acme/api/production', 'org:acme'])
      expect(heldPair(s, scope)).toEqual({ id: s.token.id, token: s.token.token })
    // The abandoned write is logged only once the emulator drops it (at hangMs); the second one landed.
    expect(s.emu.log.filter(isPut(`${REPO_SECRETS}/${TOKEN_NAME}`)).map((e) => e.status)).toEqual([204])
    expect(run.outputs).toMatchObject({ rotated: 'false', 'targets-written': '1' })
    expect(recorded(s)).toMatchObject({ 'repo:acme/api': 'written' })
    await nextRun(s)
  }, 40_000)

  test('SIGTERM while the token write hangs and writing it again hangs too: the target is recorded as uncertain, the run exits in time', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      response: { hangMs: 20_000 }
    })
    const { run, exitMs } = await cancelled(s, 'SIGTERM', (log) => log.some(isPut(`${REPO_SECRETS}/${ID_NAME}`)), {
      PSCALE_ACTION_REQUEST_TIMEOUT_MS: '30000',
      ...ONE_PAIR_AT_A_TIME
    })
    const [newId] = createdTokenIds(s)
    // A write it cannot settle in time: the new ID with the old token, named and recorded, both tokens kept.
    expectCommon(s, run, exitMs, [`repo:acme/api: the stored pair (${newId}) does not authenticate: locked out`])
    expect(heldPair(s, 'repo:acme/api')).toEqual({ id: newId, token: s.token.token })
    expect(s.emu.planetscale.isAlive(newId!)).toBe(true)
    expect(failure(run)).toMatch(/repo:acme\/api: uncertain/)
    expect(recorded(s)).toMatchObject({ 'repo:acme/api': 'uncertain' })
    // The hanging connections end after the run (the emulator drops them at hangMs); the next run
    // need not wait for them.
    await nextRun(s)
  }, 40_000)

  test('SIGTERM while the ID write hangs and its answer never comes: the old ID is written back', async () => {
    const s = await scenario()
    // The write lands, but its answer is lost in a connection that hangs.
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${ID_NAME}`,
      phase: 'after',
      response: { hangMs: 20_000 }
    })
    const { run, exitMs } = await cancelled(
      s,
      'SIGTERM',
      () => s.emu.github.secret('repo:acme/api', ID_NAME)?.value !== s.token.id,
      { PSCALE_ACTION_REQUEST_TIMEOUT_MS: '30000', ...ONE_PAIR_AT_A_TIME }
    )
    expectCommon(s, run, exitMs)
    for (const scope of s.targets) expect(heldPair(s, scope)).toEqual({ id: s.token.id, token: s.token.token })
    expect(annotations(run, 'error').join('\n')).toMatch(/repo:acme\/api: restored/)
  }, 30_000)
})

describe('a signal before any target is written', () => {
  test('SIGINT while the new token is being tested: it is deleted again, nothing changed', async () => {
    const s = await scenario()
    // Accesses that take long to become effective keep the test step retrying (up to 30 s).
    s.emu.planetscale.configure({ accessPropagationMs: 20_000 })
    const grants = (log: LogEntry[]) =>
      log.filter((e) => e.method === 'POST' && e.path.endsWith('/access')).length === 3
    const { run, exitMs } = await cancelled(s, 'SIGINT', grants, { PSCALE_ACTION_VERIFY_TIMEOUT_MS: '30000' })
    expectCommon(s, run, exitMs)
    expect(s.emu.log.filter((e) => e.method === 'PUT')).toEqual([])
    for (const id of createdTokenIds(s)) expect(s.emu.planetscale.isAlive(id)).toBe(false)
    expect(annotations(run, 'error').join('\n')).toMatch(/cancelled/)
    // Nothing that a target may hold is left to retire: at most a rotation that never began writing.
    expect(journalState(s)).toMatchObject({ stale: [], retiring: [] })
    expect(journalState(s)?.open?.phase ?? 'creating').toBe('creating')
  })
})
