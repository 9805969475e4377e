// One test per branch of the rotation protocol (contract steps 1–7), driven by emulator faults
// through the bundle. Each asserts what is left: emulator state, exit code, message, invariants.
import { describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  ORG,
  TARGET_SETS,
  TOKEN_NAME,
  createdTokenIds,
  credentialsFrom,
  expectRetiring,
  failure,
  findLeaks,
  heldPair,
  invariantViolations,
  journalRequests,
  journalState,
  runAction,
  scenarios,
  secretWrites,
  settledViolations,
  summaryTargetRows,
  writes,
  type ActionRun,
  type Scenario
} from './harness.js'

const scenario = scenarios({ targets: TARGET_SETS.three })

const ENV_TARGET = 'environment:acme/api/production'
const ENV_SECRETS = '/repos/acme/api/environments/production/secrets'
const GRANT = /^\/organizations\/acme\/service-tokens\/[a-z0-9]+\/access$/
const TOKENS = `/organizations/${ORG}/service-tokens`
const NOT_ACCESSIBLE = {
  status: 403,
  body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' }
}

function expectNoLeak(s: Scenario, run: ActionRun): void {
  expect(findLeaks(run, s.secrets())).toEqual([])
}

/** The single token this run created. */
function newTokenId(s: Scenario): string {
  const ids = createdTokenIds(s)
  expect(ids).toHaveLength(1)
  return ids[0]!
}

/** The snapshot without the journal (a failed run still records its intent there). */
function secretsAndTokens(s: Scenario) {
  const { planetscale, github } = s.emu.snapshot()
  return { planetscale, github }
}

/**
 * The next run that meets no fault, as its workflow would start it: a re-run of the same workflow run
 * (it takes over at once) with the pair the repository's secrets hold. It must leave the settled state.
 */
async function nextRun(s: Scenario, inputs: Record<string, string> = {}): Promise<ActionRun> {
  s.emu.clearFaults()
  const run = await runAction(
    { ...s.inputs, ...credentialsFrom(s, 'repo:acme/api'), ...inputs },
    { env: { ...s.env, GITHUB_RUN_ATTEMPT: '2' } }
  )
  expect({ code: run.code, message: failure(run) }).toEqual({ code: 0, message: '' })
  expect(run.outputs.repaired).toBe('true')
  expect(settledViolations(s)).toEqual([])
  expectNoLeak(s, run)
  return run
}

function rowFor(run: ActionRun, target: string) {
  return summaryTargetRows(run.summary).find((r) => r.target === target)
}

test('success: every target holds the new pair; the old token is kept for the grace and the journal says until when', async () => {
  const s = await scenario()
  const before = Date.now()
  const run = await runAction(s.inputs, { env: s.env })
  const after = Date.now()
  expect(failure(run)).toBe('')
  expect(run.code).toBe(0)
  const newId = newTokenId(s)
  expect(run.outputs).toMatchObject({ 'token-id': newId, rotated: 'true', repaired: 'false', 'targets-written': '3' })
  for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
  expectRetiring(s, run, s.token.id, { before, after })
  expect(s.emu.log.filter((e) => e.method === 'DELETE')).toEqual([])
  // Write-ahead order: the intent is recorded before the token exists, its ID before any secret is
  // written, and the rotation is closed (every target written, the old token retiring) after the last one.
  const seqOf = (pred: (e: (typeof s.emu.log)[number]) => boolean) => s.emu.log.filter(pred).map((e) => e.seq)
  const journalWrites = journalRequests(s.emu).filter((e) => e.method !== 'GET')
  const create = seqOf((e) => e.method === 'POST' && e.path === `/organizations/${ORG}/service-tokens`)
  const puts = seqOf((e) => e.api === 'github' && e.method === 'PUT')
  expect(journalWrites.map((e) => e.method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH'])
  expect(journalWrites[0]!.seq).toBeLessThan(create[0]!)
  expect(journalWrites[1]!.seq).toBeGreaterThan(create[0]!)
  expect(journalWrites[1]!.seq).toBeLessThan(Math.min(...puts))
  expect(journalWrites[2]!.seq).toBeGreaterThan(Math.max(...puts))
  expect(journalState(s)).toMatchObject({ line: s.token.id, current: newId, stale: [], markers: [] })
  expect(journalState(s)?.open).toBeUndefined()
  expect(invariantViolations(s)).toEqual([])
  expectNoLeak(s, run)
})

test('success with delete-previous: true: the old token is deleted by the new one, after the last write', async () => {
  const s = await scenario()
  const run = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
  expect(failure(run)).toBe('')
  expect(run.code).toBe(0)
  const newId = newTokenId(s)
  expect(run.outputs).toMatchObject({
    'token-id': newId,
    rotated: 'true',
    'previous-token-deleted': 'true',
    'previous-token-retires-at': '',
    'targets-written': '3'
  })
  for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
  expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
  // Order of the protocol: nothing is written before the new token passed its test, the
  // old token is deleted only after the last write, and after the journal says every target holds
  // the new pair.
  const seqOf = (pred: (e: (typeof s.emu.log)[number]) => boolean) => s.emu.log.filter(pred).map((e) => e.seq)
  const tests = seqOf(
    (e) => e.api === 'planetscale' && e.authorization === `planetscale:${newId}` && e.method === 'GET'
  )
  const puts = seqOf((e) => e.api === 'github' && e.method === 'PUT')
  const deletion = seqOf((e) => e.method === 'DELETE')
  const written = journalRequests(s.emu).filter((e) => e.method === 'PATCH')[1]!
  expect(puts).toHaveLength(6)
  expect(Math.min(...tests)).toBeLessThan(Math.min(...puts))
  expect(deletion).toHaveLength(1)
  expect(deletion[0]).toBeGreaterThan(Math.max(...puts))
  expect(deletion[0]).toBeGreaterThan(written.seq)
  expect(journalState(s)).toMatchObject({ current: newId, retiring: [] })
  expect(invariantViolations(s)).toEqual([])
  expectNoLeak(s, run)
})

describe('step 1: check', () => {
  test('a missing environment fails the check with 404 advice; nothing is created or written', async () => {
    const s = await scenario()
    const before = s.emu.snapshot()
    const run = await runAction(
      { ...s.inputs, targets: `${s.inputs.targets}\nenvironment:acme/api/qa` },
      { env: s.env }
    )
    expect(run.code).toBe(1)
    const message = failure(run)
    expect(message).toMatch(/environment:acme\/api\/qa/)
    expect(message).toMatch(/404/)
    expect(message).toMatch(/environment "qa" does not exist/)
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.snapshot()).toEqual(before)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('a self-rotation whose token lacks delete_service_tokens is refused before anything is created', async () => {
    const s = await scenario({
      accesses: [
        { organization: true, access: ['read_service_tokens', 'write_service_tokens', 'read_databases'] },
        { database: 'app-db', access: ['read_branch'] }
      ]
    })
    const before = s.emu.snapshot()
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/delete_service_tokens/)
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.snapshot()).toEqual(before)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })
})

describe('step 2: create', () => {
  test('create refused (503 on every attempt): no token, no secret touched', async () => {
    const s = await scenario()
    s.emu.addFault({ api: 'planetscale', method: 'POST', path: TOKENS, times: Infinity, response: { status: 503 } })
    const before = secretsAndTokens(s)
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/create token/)
    expect(failure(run)).toMatch(/503/)
    expect(createdTokenIds(s)).toEqual([])
    expect(secretWrites(s.emu)).toEqual([])
    expect(secretsAndTokens(s)).toEqual(before)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('create answered but the answer was lost: the token the run created is not left behind', async () => {
    // PlanetScale created the token, the connection dropped before the answer arrived. The
    // request is not repeated (that could create two), but the invariant still holds: a failed
    // run leaves no token it created alive unless a target uses it.
    const s = await scenario()
    s.emu.addFault({ api: 'planetscale', method: 'POST', path: TOKENS, phase: 'after', response: { reset: true } })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/create token/)
    expect(secretWrites(s.emu)).toEqual([])
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })
})

describe('step 3: grant', () => {
  test('one grant fails: the new token is deleted, no secret touched', async () => {
    const s = await scenario()
    // The third grant request (of three: organization, app-db, analytics) and all its retries fail.
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: GRANT,
      nth: 3,
      times: Infinity,
      response: { status: 500 }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/grant/i)
    expect(failure(run)).toMatch(/500/)
    const newId = newTokenId(s)
    expect(s.emu.planetscale.token(newId)?.deletedAt).not.toBeNull()
    expect(secretWrites(s.emu)).toEqual([])
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
    // The run ended on its own: it released its lease, so the next scheduled run need not wait for it.
    expect(Date.parse(journalState(s)?.open?.leaseUntil ?? '')).toBeLessThanOrEqual(Date.now())
    s.emu.clearFaults()
    const next = await runAction(s.inputs, { env: { ...s.env, GITHUB_RUN_ID: '4343' } })
    expect({ code: next.code, message: failure(next) }).toEqual({ code: 0, message: '' })
    expect(settledViolations(s)).toEqual([])
    expectNoLeak(s, next)
  })
})

describe('step 4: test', () => {
  test('a grant that silently did nothing: the access check fails, the new token is deleted', async () => {
    const s = await scenario()
    // A 200 that never reached PlanetScale: the new token lacks that grant's accesses.
    s.emu.addFault({
      api: 'planetscale',
      method: 'POST',
      path: GRANT,
      nth: 2,
      response: { status: 200, body: { data: [] } }
    })
    const run = await runAction(s.inputs, { env: { ...s.env, PSCALE_ACTION_VERIFY_TIMEOUT_MS: '800' } })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/failed its test/)
    const newId = newTokenId(s)
    expect(failure(run)).toContain(newId)
    expect(s.emu.planetscale.token(newId)?.deletedAt).not.toBeNull()
    expect(secretWrites(s.emu)).toEqual([])
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('accesses that take longer to propagate than the test allows: the new token is deleted', async () => {
    const s = await scenario()
    s.emu.planetscale.configure({ accessPropagationMs: 60_000 })
    const run = await runAction(s.inputs, { env: { ...s.env, PSCALE_ACTION_VERIFY_TIMEOUT_MS: '800' } })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(/failed its test after [2-9] attempt/)
    const newId = newTokenId(s)
    expect(s.emu.planetscale.token(newId)?.deletedAt).not.toBeNull()
    expect(secretWrites(s.emu)).toEqual([])
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('accesses that propagate within the test window: retried, then the rotation succeeds', async () => {
    const s = await scenario()
    // Longer than the first retry wait (250 ms), well within the 3 s test window of FAST_ENV.
    s.emu.planetscale.configure({ accessPropagationMs: 1000 })
    const run = await runAction(s.inputs, { env: s.env })
    expect(failure(run)).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/not ready yet \(attempt 1\)/)
    expect(run.outputs.rotated).toBe('true')
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })
})

describe('step 5: write', () => {
  test('the ID write fails on one of three targets: that target unchanged, old and new tokens kept, exit 1', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${ID_NAME}`,
      times: Infinity,
      response: NOT_ACCESSIBLE
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    expect(heldPair(s, ENV_TARGET)).toEqual({ id: s.token.id, token: s.token.token })
    expect(heldPair(s, 'repo:acme/api').id).toBe(newId)
    expect(heldPair(s, 'org:acme').id).toBe(newId)
    // Secrets are never written for a target whose ID write failed.
    expect(secretWrites(s.emu).filter((e) => e.path === `${ENV_SECRETS}/${TOKEN_NAME}`)).toEqual([])
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(s.emu.planetscale.isAlive(newId)).toBe(true)
    expect(run.outputs).toMatchObject({ 'token-id': newId, 'previous-token-deleted': 'false', 'targets-written': '2' })
    expect(failure(run)).toContain(ENV_TARGET)
    expect(failure(run)).toMatch(/403/)
    expect(rowFor(run, ENV_TARGET)?.result).toMatch(/unchanged/)
    expect(rowFor(run, 'repo:acme/api')?.result).toMatch(/new pair written/)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
    await nextRun(s)
  })

  test('the token write is refused: the old ID is written back, the target holds the old pair', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      response: NOT_ACCESSIBLE
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    expect(heldPair(s, ENV_TARGET)).toEqual({ id: s.token.id, token: s.token.token })
    expect(
      secretWrites(s.emu)
        .filter((e) => e.path === `${ENV_SECRETS}/${ID_NAME}`)
        .map((e) => e.status)
    ).toEqual([204, 204])
    expect(rowFor(run, ENV_TARGET)?.result).toMatch(/old pair restored/)
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(s.emu.planetscale.isAlive(newId)).toBe(true)
    expect(run.outputs['previous-token-deleted']).toBe('false')
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
    await nextRun(s)
  })

  test('the token write lands but every answer is lost: it is written again, and the target holds the new pair', async () => {
    const s = await scenario()
    // 1 attempt + 3 retries, each stored by GitHub and answered 502 on the way back.
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${TOKEN_NAME}`,
      times: 4,
      phase: 'after',
      response: { status: 502 }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(failure(run)).toBe('')
    expect(run.code).toBe(0)
    const newId = newTokenId(s)
    // Writing the old ID back could pair it with the new token: the token is written again instead.
    expect(
      secretWrites(s.emu)
        .filter((e) => e.path.startsWith(ENV_SECRETS))
        .map((e) => [e.path.endsWith(ID_NAME) ? 'ID' : 'token', e.status])
    ).toEqual([
      ['ID', 204],
      ['token', 502],
      ['token', 502],
      ['token', 502],
      ['token', 502],
      ['token', 204]
    ])
    expect(heldPair(s, ENV_TARGET).id).toBe(newId)
    expect(rowFor(run, ENV_TARGET)).toMatchObject({ result: expect.stringMatching(/new pair written/) })
    expect(rowFor(run, ENV_TARGET)?.detail).toMatch(/second attempt/)
    expect(run.outputs).toMatchObject({ rotated: 'true', 'targets-written': '3' })
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('every answer to the token write and to writing it again is lost: the target is uncertain, both tokens kept', async () => {
    const s = await scenario()
    // Stored each time, never confirmed: the target holds the new pair, but the run cannot know.
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      phase: 'after',
      response: { status: 502 }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    expect(heldPair(s, ENV_TARGET).id).toBe(newId)
    expect(rowFor(run, ENV_TARGET)?.result).toMatch(/uncertain/)
    expect(failure(run)).toContain(`${ENV_TARGET}: uncertain`)
    expect(failure(run)).toMatch(/may hold either pair/)
    // Neither token may go: the target may hold either.
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(s.emu.planetscale.isAlive(newId)).toBe(true)
    expect(s.emu.log.filter((e) => e.method === 'DELETE')).toEqual([])
    expect(run.outputs).toMatchObject({ rotated: 'false', 'previous-token-deleted': 'false', 'targets-written': '2' })
    expect(journalState(s)?.open).toMatchObject({ from: s.token.id, to: newId })
    expect(journalState(s)?.open?.targets[ENV_TARGET]).toBe('uncertain')
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
    await nextRun(s)
  })

  test('the token write fails with 5xx on every attempt and never lands: the target is uncertain, named, and repaired by the next run', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      response: { status: 502 }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    // The new ID with the old token: the target is locked out until the next run, which the contract
    // allows only for a write cut off by a fault that also stopped its repair, named and recorded.
    expect(heldPair(s, ENV_TARGET)).toEqual({ id: newId, token: s.token.token })
    expect(rowFor(run, ENV_TARGET)?.result).toMatch(/uncertain/)
    expect(failure(run)).toContain(`${ENV_TARGET}: uncertain`)
    expect(journalState(s)?.open?.targets[ENV_TARGET]).toBe('uncertain')
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(s.emu.planetscale.isAlive(newId)).toBe(true)
    expect(invariantViolations(s)).toEqual([
      `${ENV_TARGET}: the stored pair (${newId}) does not authenticate: locked out`
    ])
    expectNoLeak(s, run)
    await nextRun(s)
  })

  test('the token write and the restore both fail: the target is reported inconsistent, both tokens kept', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${TOKEN_NAME}`,
      times: Infinity,
      response: NOT_ACCESSIBLE
    })
    // The first ID write (the new ID) passes, the second (writing the old one back) fails.
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: `${ENV_SECRETS}/${ID_NAME}`,
      nth: 2,
      times: Infinity,
      response: { status: 422, body: { message: 'Validation Failed' } }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    expect(heldPair(s, ENV_TARGET)).toEqual({ id: newId, token: s.token.token })
    expect(rowFor(run, ENV_TARGET)?.result).toMatch(/inconsistent/)
    expect(failure(run)).toContain(ENV_TARGET)
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(s.emu.planetscale.isAlive(newId)).toBe(true)
    // The one violation no protocol can avoid here: that target's pair is mixed, and reported and
    // recorded for the next run.
    expect(invariantViolations(s)).toEqual([
      `${ENV_TARGET}: the stored pair (${newId}) does not authenticate: locked out`
    ])
    expect(journalState(s)?.open?.targets[ENV_TARGET]).toBe('broken')
    expectNoLeak(s, run)
    await nextRun(s)
  })

  test('no target written at all: the new token is deleted, the old one kept', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'PUT',
      path: new RegExp(`/secrets/${ID_NAME}$`),
      times: Infinity,
      response: NOT_ACCESSIBLE
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    expect(s.emu.planetscale.token(newId)?.deletedAt).not.toBeNull()
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    for (const scope of s.targets) expect(heldPair(s, scope)).toEqual({ id: s.token.id, token: s.token.token })
    expect(run.outputs).toMatchObject({ rotated: 'false', 'previous-token-deleted': 'false', 'targets-written': '0' })
    expect(failure(run)).toMatch(/No target holds the new pair/)
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })
})

describe('step 6: finish', () => {
  test('delete-previous: true and deleting the old token fails: targets hold the new pair, exit 1, the next run deletes it', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'planetscale',
      method: 'DELETE',
      path: `${TOKENS}/${s.token.id}`,
      times: Infinity,
      response: { status: 403, body: { code: 'forbidden', message: 'Forbidden' } }
    })
    const run = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
    expect(run.code).toBe(1)
    const newId = newTokenId(s)
    for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(run.outputs).toMatchObject({ rotated: 'true', 'previous-token-deleted': 'false', 'targets-written': '3' })
    expect(failure(run)).toContain(`deleting the replaced token ${s.token.id} failed`)
    expect(failure(run)).toMatch(/403/)
    expect(failure(run)).toMatch(/The next run deletes it/)
    // Due at once: the journal lists it for the next run.
    const entry = journalState(s)?.retiring.find((r) => r.id === s.token.id)
    expect(Date.parse(entry?.after ?? '')).toBeLessThanOrEqual(Date.now())
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)

    // The next scheduled run (its own run ID, the pair the targets now hold) deletes it, and rotates.
    s.emu.clearFaults()
    const next = await runAction(
      { ...s.inputs, ...credentialsFrom(s), 'delete-previous': 'true' },
      { env: { ...s.env, GITHUB_RUN_ID: '4343' } }
    )
    expect({ code: next.code, message: failure(next) }).toEqual({ code: 0, message: '' })
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
    expect(settledViolations(s)).toEqual([])
    expectNoLeak(s, next)
  })

  test('deleting the old token answers 404: deleted, once GET /organizations with the new token succeeds', async () => {
    const s = await scenario()
    // PlanetScale deletes it but the answer that reaches the action is a 404.
    s.emu.addFault({
      api: 'planetscale',
      method: 'DELETE',
      path: `${TOKENS}/${s.token.id}`,
      phase: 'after',
      response: { status: 404, body: { code: 'not_found', message: 'Not Found' } }
    })
    const run = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
    expect(failure(run)).toBe('')
    expect(run.code).toBe(0)
    const newId = newTokenId(s)
    expect(run.outputs).toMatchObject({ rotated: 'true', 'previous-token-deleted': 'true' })
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
    const deletion = s.emu.log.find((e) => e.method === 'DELETE')!
    const probe = s.emu.log.find((e) => e.seq > deletion.seq && e.method === 'GET' && e.path === '/organizations')
    expect(probe?.authorization).toBe(`planetscale:${newId}`)
    expect(probe?.status).toBe(200)
    expect(journalState(s)?.retiring).toEqual([])
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })

  test('delete-previous: false keeps the old token and schedules nothing, exit 0', async () => {
    const s = await scenario()
    const run = await runAction({ ...s.inputs, 'delete-previous': 'false' }, { env: s.env })
    expect(failure(run)).toBe('')
    expect(run.code).toBe(0)
    const newId = newTokenId(s)
    for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(run.outputs).toMatchObject({
      rotated: 'true',
      'previous-token-deleted': 'false',
      'previous-token-retires-at': '',
      'targets-written': '3'
    })
    expect(s.emu.log.filter((e) => e.method === 'DELETE')).toEqual([])
    expect(journalState(s)).toMatchObject({ current: newId, retiring: [] })
    expect(invariantViolations(s)).toEqual([])
    expectNoLeak(s, run)
  })
})
