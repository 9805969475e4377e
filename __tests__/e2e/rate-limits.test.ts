// Rate limits and retries, through the bundle: @octokit/plugin-throttling and @octokit/plugin-retry
// really applied on the GitHub side, the client's own backoff on the PlanetScale side. Where the
// API asks for a wait the action can afford, it waits as asked and succeeds; where it cannot, it
// gives up after a bounded wait with a message that says so, and no target is left broken.
import { describe, expect, test } from '@jest/globals'
import type { LogEntry } from '../../emulator/index.js'
import {
  ID_NAME,
  ORG,
  TARGET_SETS,
  TOKEN_NAME,
  annotations,
  createdTokenIds,
  expectRetiring,
  failure,
  findLeaks,
  heldPair,
  invariantViolations,
  journalRequests,
  runAction,
  scenarios,
  secretWrites,
  writes,
  type ActionRun,
  type Scenario
} from './harness.js'

const scenario = scenarios({ targets: TARGET_SETS.three })

const SECONDARY = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
const REPO_SECRETS = '/repos/acme/api/actions/secrets'
const TOKENS = `/organizations/${ORG}/service-tokens`

/** Gaps between an answer with `status` and the next call of the same route, in ms. */
function waitsAfter(log: LogEntry[], status: number): number[] {
  const gaps: number[] = []
  log.forEach((entry, i) => {
    if (entry.status !== status) return
    const retry = log
      .slice(i + 1)
      .find((e) => e.api === entry.api && e.method === entry.method && e.path === entry.path)
    if (retry) gaps.push(retry.startedAt - entry.endedAt)
  })
  return gaps
}

/** A run, with Date.now() around it (for the retirement time it computes). */
async function rotation(
  s: Scenario,
  inputs: Record<string, string> = {}
): Promise<ActionRun & { window: { before: number; after: number } }> {
  const before = Date.now()
  const run = await runAction({ ...s.inputs, ...inputs }, { env: s.env })
  return { ...run, window: { before, after: Date.now() } }
}

/** Every target holds the new pair; the old token is retiring (default grace) or, with `deleted`, gone. */
function expectRotated(
  s: Scenario,
  run: ActionRun & { window: { before: number; after: number } },
  options: { deleted?: boolean } = {}
): void {
  expect({ code: run.code, message: failure(run) }).toEqual({ code: 0, message: '' })
  const [newId] = createdTokenIds(s)
  for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
  if (options.deleted) expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
  else expectRetiring(s, run, s.token.id, run.window)
  expect(invariantViolations(s)).toEqual([])
  expect(findLeaks(run, s.secrets())).toEqual([])
}

function expectNothingChanged(s: Scenario, run: ActionRun): void {
  expect(run.code).toBe(1)
  for (const scope of s.targets) expect(heldPair(s, scope)).toEqual({ id: s.token.id, token: s.token.token })
  for (const id of createdTokenIds(s)) expect(s.emu.planetscale.isAlive(id)).toBe(false)
  expect(invariantViolations(s)).toEqual([])
  expect(findLeaks(run, s.secrets())).toEqual([])
}

describe('GitHub', () => {
  test("secondary limit from the emulator's write window: waits as asked (retry-after), then succeeds", async () => {
    // Two writes per 1 s window, and a retry-after that says so; 10 writes to make (6 secrets, and the
    // journal: intent, the new token's ID, every target written, the end), so the action hits the
    // limit again and again and must wait each time.
    const s = await scenario({
      emulator: { github: { writesPerMinute: 2, secondaryWindowMs: 1_000, secondaryRetryAfterSeconds: 1 } }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    const admitted = writes(s.emu).filter((e) => e.api === 'github' && e.status !== 403)
    expect(admitted.filter((e) => e.path.includes('/secrets/'))).toHaveLength(6)
    expect(admitted.filter((e) => e.path.includes('/variables'))).toHaveLength(4)
    expect(s.emu.github.secondaryLimitHits).toBeGreaterThan(0)
    const waits = waitsAfter(s.emu.log, 403)
    expect(waits.length).toBe(s.emu.github.secondaryLimitHits)
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(950)
    expect(annotations(run, 'warning').join('\n')).toMatch(
      /GitHub secondary rate limit on PUT .*: waiting 1s, then retry 1 of 3/
    )
  })

  test('a secondary limit on one write holds back every write, not only the refused one, for the retry-after', async () => {
    // 150 ms per write: without the pause the other targets' writes would go out while the
    // refused one waits (pairs in flight fill the free turns).
    const s = await scenario()
    s.emu.setLatency({ routes: [{ api: 'github', method: 'PUT', path: /\/secrets\/[A-Z_]+$/, ms: 150 }] })
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${ID_NAME}`,
      response: { status: 403, body: { message: SECONDARY }, headers: { 'retry-after': '1' } }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    const puts = s.emu.log.filter((e) => e.api === 'github' && e.method === 'PUT')
    const refused = puts.find((e) => e.status === 403)!
    // Journal writes count as writes too (they wait for the same turns).
    const sentDuringPause = [...puts, ...journalRequests(s.emu).filter((e) => e.method !== 'GET')].filter(
      (e) => e.startedAt > refused.endedAt && e.startedAt < refused.endedAt + 900
    )
    expect(sentDuringPause.map((e) => e.path)).toEqual([])
    // Writes did go on meanwhile before the answer came: the pause is what held them back.
    expect(puts.filter((e) => e.startedAt < refused.endedAt).length).toBeGreaterThan(1)
  })

  test('primary limit (x-ratelimit-remaining: 0) that resets within 2 s: waits for the reset, then succeeds', async () => {
    const s = await scenario()
    const reset = String(Math.ceil(Date.now() / 1000) + 1)
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${TOKEN_NAME}`,
      response: {
        status: 403,
        body: { message: 'API rate limit exceeded for installation ID 1.' },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }
      }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    const [wait] = waitsAfter(s.emu.log, 403)
    expect(wait).toBeGreaterThanOrEqual(900)
    expect(annotations(run, 'warning').join('\n')).toMatch(
      /GitHub primary rate limit on PUT .*: waiting \d+s, then retry 1 of 3/
    )
  })

  test('a 5xx on a write is retried by plugin-retry, then succeeds', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${ID_NAME}`,
      times: 2,
      response: { status: 502, body: 'Bad Gateway' }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    expect(s.emu.log.filter((e) => e.path === `${REPO_SECRETS}/${ID_NAME}`).map((e) => e.status)).toEqual([
      502, 502, 204
    ])
  })

  test('secondary limit that never lifts: gives up after 3 retries (about 3 s), the target keeps a working pair', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${ID_NAME}`,
      times: Infinity,
      response: { status: 403, body: { message: SECONDARY }, headers: { 'retry-after': '1' } }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(run.durationMs).toBeLessThan(15_000)
    expect(s.emu.log.filter((e) => e.path === `${REPO_SECRETS}/${ID_NAME}`)).toHaveLength(4)
    expect(heldPair(s, 'repo:acme/api')).toEqual({ id: s.token.id, token: s.token.token })
    expect(failure(run)).toMatch(
      /repo:acme\/api: unchanged — write secret PLANETSCALE_SERVICE_TOKEN_ID failed \(HTTP 403 "You have exceeded a secondary/
    )
    expect(failure(run)).toMatch(/GitHub rate limit.*re-run later/)
    expect(invariantViolations(s)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('secondary limit asking for 10 minutes: gives up at once instead of waiting', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'GET',
      path: '/repos/acme/api/environments/production/secrets/public-key',
      times: Infinity,
      response: { status: 403, body: { message: SECONDARY }, headers: { 'retry-after': '600' } }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.durationMs).toBeLessThan(5_000)
    expectNothingChanged(s, run)
    expect(writes(s.emu)).toEqual([])
    expect(failure(run)).toMatch(
      /environment:acme\/api\/production: read public key failed .*GitHub asked to wait 600s/
    )
  })

  test("the token's hourly budget runs out during the check: nothing is written, the message says when it resets", async () => {
    // 10 requests an hour: the 5 reads of the check step leave 5, enough for the 6 writes of three
    // pairs only if nothing fails; the action reserves 4 per target so that a pair can be put back.
    // (With no guard, a budget that ran out between the ID and the token write locked the target out.)
    const s = await scenario({ emulator: { github: { rateLimit: 10 } } })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.durationMs).toBeLessThan(5_000)
    expectNothingChanged(s, run)
    expect(secretWrites(s.emu)).toEqual([])
    expect(failure(run)).toMatch(
      /GitHub's rate limit leaves the github-token \d+ request\(s\) this hour; it resets at \d{4}-\d\d-\d\dT/
    )
    expect(failure(run)).toMatch(/needs up to 12 .*Nothing was changed: re-run after the reset/)
  })

  test('the budget runs out in the middle of a pair (used up elsewhere): the pair is put back without waiting an hour', async () => {
    const s = await scenario()
    const inAnHour = String(Math.ceil(Date.now() / 1000) + 3600)
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${REPO_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      response: {
        status: 403,
        body: { message: 'API rate limit exceeded for installation ID 1.' },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': inAnHour }
      }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(run.durationMs).toBeLessThan(10_000)
    expect(heldPair(s, 'repo:acme/api')).toEqual({ id: s.token.id, token: s.token.token })
    expect(failure(run)).toMatch(/repo:acme\/api: restored/)
    expect(failure(run)).toMatch(/the rate limit resets at/)
    expect(invariantViolations(s)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})

describe('PlanetScale', () => {
  test('429 with retry-after: 1 on the grant: waits about a second, then succeeds', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: /\/service-tokens\/[a-z0-9]+\/access$/,
      response: {
        status: 429,
        body: { code: 'rate_limited', message: 'Too Many Requests' },
        headers: { 'retry-after': '1' }
      }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    // The three grants go out together; the fourth call is the one that was refused, sent again.
    const grants = s.emu.log.filter((e) => e.method === 'POST' && e.path.endsWith('/access'))
    expect(grants.map((e) => e.status)).toEqual([429, 200, 200, 200])
    expect(grants[3]!.startedAt - grants[0]!.endedAt).toBeGreaterThanOrEqual(950)
  })

  test('429 on create (nothing was done) is retried, and exactly one token is made', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: TOKENS,
      times: 2,
      response: { status: 429, headers: { 'retry-after': '1' } }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    expect(s.emu.log.filter((e) => e.method === 'POST' && e.path === TOKENS).map((e) => e.status)).toEqual([
      429, 429, 200
    ])
    expect(createdTokenIds(s)).toHaveLength(1)
  })

  test('503 with retry-after on deleting the old token (delete-previous: true): waits, then deletes it', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'DELETE',
      path: `${TOKENS}/${s.token.id}`,
      response: { status: 503, body: 'Service Unavailable', headers: { 'retry-after': '1' } }
    })
    const run = await rotation(s, { 'delete-previous': 'true' })
    expectRotated(s, run, { deleted: true })
    expect(waitsAfter(s.emu.log, 503)[0]).toBeGreaterThanOrEqual(950)
  })

  test('5xx without retry-after: exponential backoff, then success', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'GET',
      path: '/organizations',
      times: 3,
      response: { status: 502, body: '<html>Bad Gateway</html>' }
    })
    const run = await rotation(s)
    expectRotated(s, run)
    expect(
      s.emu.log
        .filter((e) => e.path === '/organizations')
        .map((e) => e.status)
        .slice(0, 4)
    ).toEqual([502, 502, 502, 200])
  })

  test('429 that never lifts: gives up after 5 attempts (4 waits of 1 s), nothing changed', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'GET',
      path: `${TOKENS}/${s.token.id}`,
      times: Infinity,
      response: {
        status: 429,
        body: { code: 'rate_limited', message: 'Too Many Requests' },
        headers: { 'retry-after': '1' }
      }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expectNothingChanged(s, run)
    expect(writes(s.emu)).toEqual([])
    const calls = s.emu.log.filter((e) => e.path === `${TOKENS}/${s.token.id}`)
    expect(calls).toHaveLength(5)
    expect(calls.at(-1)!.endedAt - calls[0]!.startedAt).toBeGreaterThanOrEqual(3_800)
    expect(run.durationMs).toBeLessThan(15_000)
    expect(failure(run)).toMatch(
      /read token .* failed: HTTP 429 .*Rate limited by PlanetScale after 5 attempts: try again later/
    )
  })

  test('5xx that never lifts on the grant: gives up after 5 attempts, deletes the new token, nothing changed', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: /\/access$/,
      times: Infinity,
      response: { status: 500 }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expectNothingChanged(s, run)
    expect(failure(run)).toMatch(/PlanetScale is unavailable after 5 attempts/)
    expect(failure(run)).toMatch(/was deleted again; no secret was changed/)
  })
})
