// Every command, run from the bundle (dist/index.js) against the emulator, as a runner would.
import { describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  MANAGEMENT,
  ORG,
  TARGET_SETS,
  TOKEN_NAME,
  annotations,
  failure,
  expectRetiring,
  findLeaks,
  heldPair,
  invariantViolations,
  journalState,
  runAction,
  scenarios,
  summaryTargetRows,
  withTokenToRotate,
  writes,
  type ActionRun,
  type RunOptions,
  type Scenario
} from './harness.js'

const DAY = 86_400
const scenario = scenarios()

const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY * 1000)

/** Seconds between an ISO time and now + lifetime: 0 when the new token got exactly that lifetime. */
function lifetimeError(expiresAt: string | undefined, lifetimeSeconds: number, before: number, after: number): number {
  const expires = Date.parse(expiresAt ?? '')
  if (Number.isNaN(expires)) return Infinity
  if (expires < before + lifetimeSeconds * 1000) return (before + lifetimeSeconds * 1000 - expires) / 1000
  if (expires > after + lifetimeSeconds * 1000) return (expires - after - lifetimeSeconds * 1000) / 1000
  return 0
}

/** A rotation, with Date.now() around it (for the retirement time the run computes). */
async function rotation(
  inputs: Record<string, string>,
  options: RunOptions
): Promise<ActionRun & { window: { before: number; after: number } }> {
  const before = Date.now()
  const run = await runAction(inputs, options)
  return { ...run, window: { before, after: Date.now() } }
}

/**
 * What every successful rotation promises: outputs, new pair everywhere, summary, no leak. The
 * replaced token: by default (`delete-previous: 1h`) alive and listed in the journal as retiring an
 * hour (`graceMs`) after the run; with `deleted` (`delete-previous: true`), gone.
 */
function expectRotated(
  s: Scenario,
  run: ActionRun & { window?: { before: number; after: number } },
  options: { deleted?: boolean; graceMs?: number } = {}
): string {
  expect(run.stderr).toBe('')
  expect(annotations(run, 'error')).toEqual([])
  expect(run.code).toBe(0)
  const newId = run.outputs['token-id'] ?? ''
  expect(newId).toMatch(/^[a-z0-9]{12}$/)
  expect(newId).not.toBe(s.token.id)
  expect(run.outputs).toMatchObject({
    'previous-token-id': s.token.id,
    rotated: 'true',
    repaired: 'false',
    'targets-written': String(s.targets.length)
  })
  expect(run.outputs['expires-at']).toBe(s.emu.planetscale.token(newId)?.expiresAt ?? '')
  for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
  if (options.deleted) {
    expect(run.outputs).toMatchObject({ 'previous-token-deleted': 'true', 'previous-token-retires-at': '' })
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
  } else {
    expect(run.window).toBeDefined()
    expectRetiring(s, run, s.token.id, run.window!, options.graceMs)
    expect(s.emu.log.filter((e) => e.api === 'planetscale' && e.method === 'DELETE')).toEqual([])
  }
  // The journal is closed: it names the new token as the line's current one, and nothing is open.
  const journal = journalState(s)
  expect(journal).toMatchObject({ current: newId, stale: [], markers: [] })
  expect(journal?.open).toBeUndefined()
  expect(s.emu.planetscale.accessSet(newId)).toEqual(s.originalAccessSet)
  expect(invariantViolations(s)).toEqual([])
  const rows = summaryTargetRows(run.summary)
  expect(rows.map((r) => r.target).sort()).toEqual([...s.targets].sort())
  for (const row of rows) expect(row.result).toMatch(/new pair written/)
  expect(findLeaks(run, s.secrets())).toEqual([])
  return newId
}

describe('rotate into each kind of target', () => {
  test.each([
    ['repo', ['repo:acme/api']],
    ['environment', ['environment:acme/api/production']],
    ['org', ['org:acme']],
    ['dependabot', ['dependabot:acme/api']],
    ['dependabot-org', ['dependabot-org:acme']],
    ['all five at once', [...TARGET_SETS.all]]
  ])('%s', async (_kind, targets) => {
    const s = await scenario({ targets })
    expectRotated(s, await rotation(s.inputs, { env: s.env }))
  })
})

describe('delete-previous', () => {
  test('true: the old token is deleted in the same run, with the new token’s credentials', async () => {
    const s = await scenario({ targets: TARGET_SETS.all })
    const run = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
    expectRotated(s, run, { deleted: true })
    const deletion = s.emu.log.filter((e) => e.api === 'planetscale' && e.method === 'DELETE')
    expect(deletion).toHaveLength(1)
    expect(deletion[0]!.path).toBe(`/organizations/${ORG}/service-tokens/${s.token.id}`)
    expect(deletion[0]!.authorization).toBe(`planetscale:${run.outputs['token-id']}`)
    expect(s.emu.planetscale.selfDeletions).toEqual([])
    expect(journalState(s)?.retiring).toEqual([])
  })

  test('a duration: kept that long, then deleted by the first run after it, with that run’s credentials', async () => {
    const s = await scenario()
    const first = await rotation({ ...s.inputs, 'delete-previous': '2s' }, { env: s.env })
    const newId = expectRotated(s, first, { graceMs: 2_000 })
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    // The next scheduled run holds the pair the first one wrote.
    const pair = heldPair(s, 'repo:acme/api')
    const next = await runAction(
      { ...s.inputs, 'service-token-id': pair.id!, 'service-token': pair.token!, 'min-age': '30d' },
      { env: { ...s.env, GITHUB_RUN_ID: '4343' } }
    )
    expect(annotations(next, 'error')).toEqual([])
    expect(next.code).toBe(0)
    // Skipped for min-age, it still deletes what is due.
    expect(next.outputs).toMatchObject({ rotated: 'false', 'token-id': '' })
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
    const deletion = s.emu.log.filter((e) => e.api === 'planetscale' && e.method === 'DELETE')
    expect(deletion.map((e) => [e.path, e.authorization])).toEqual([
      [`/organizations/${ORG}/service-tokens/${s.token.id}`, `planetscale:${newId}`]
    ])
    expect(journalState(s)).toMatchObject({ current: newId, retiring: [] })
    expect(heldPair(s, 'repo:acme/api').id).toBe(newId)
    expect(findLeaks(next, s.secrets())).toEqual([])
  })
})

describe('organization secrets', () => {
  test('an existing selected secret keeps its visibility and selected repositories', async () => {
    const s = await scenario({ targets: ['org:acme'] })
    const ids = [s.emu.github.repositoryId('acme/api')!, s.emu.github.repositoryId('acme/web')!]
    for (const [name, value] of [
      [ID_NAME, s.token.id],
      [TOKEN_NAME, s.token.token]
    ] as const) {
      s.emu.github.putSecretPlain('org:acme', name, value, { visibility: 'selected', selectedRepositoryIds: ids })
    }
    expectRotated(s, await rotation(s.inputs, { env: s.env }))
    for (const name of [ID_NAME, TOKEN_NAME]) {
      const secret = s.emu.github.secret('org:acme', name)
      expect(secret?.visibility).toBe('selected')
      expect([...(secret?.selectedRepositoryIds ?? [])].sort()).toEqual([...ids].sort())
    }
  })

  test('an explicit "visibility=selected repositories=api,web" sets them', async () => {
    const s = await scenario({ targets: ['org:acme'] })
    const run = await rotation(
      { ...s.inputs, targets: 'org:acme visibility=selected repositories=api,web' },
      { env: s.env }
    )
    expectRotated(s, run)
    const ids = [s.emu.github.repositoryId('acme/api')!, s.emu.github.repositoryId('acme/web')!].sort()
    for (const name of [ID_NAME, TOKEN_NAME]) {
      const secret = s.emu.github.secret('org:acme', name)
      expect(secret?.visibility).toBe('selected')
      expect([...(secret?.selectedRepositoryIds ?? [])].sort()).toEqual(ids)
    }
  })

  test('a new organization secret is created private', async () => {
    const s = await scenario({ targets: ['repo:acme/api', 'org:acme'] })
    // Existing visibility "all" on another secret must not leak into the new ones.
    s.emu.github.putSecretPlain('org:acme', 'OTHER', 'x', { visibility: 'all' })
    s.emu.github.deleteSecret('org:acme', ID_NAME)
    s.emu.github.deleteSecret('org:acme', TOKEN_NAME)
    expectRotated(s, await rotation(s.inputs, { env: s.env }))
    expect(s.emu.github.secret('org:acme', ID_NAME)?.visibility).toBe('private')
    expect(s.emu.github.secret('org:acme', TOKEN_NAME)?.visibility).toBe('private')
  })
})

describe('lifetime of the new token', () => {
  test("without ttl it keeps the old token's lifetime (not its expiry date)", async () => {
    // Created 10 days ago with a 30-day lifetime: the new one must live 30 days from now.
    const s = await scenario({ ttlSeconds: 30 * DAY, createdAt: daysAgo(10) })
    const run = await rotation(s.inputs, { env: s.env })
    expectRotated(s, run)
    const { before, after } = run.window
    expect(lifetimeError(run.outputs['expires-at'], 30 * DAY, before, after)).toBeLessThanOrEqual(5)
  })

  test('ttl: 12h', async () => {
    const s = await scenario({ ttlSeconds: 30 * DAY })
    const run = await rotation({ ...s.inputs, ttl: '12h' }, { env: s.env })
    expectRotated(s, run)
    const { before, after } = run.window
    expect(lifetimeError(run.outputs['expires-at'], 12 * 3600, before, after)).toBeLessThanOrEqual(5)
  })

  test('ttl: never gives a token that does not expire, even when the old one did', async () => {
    const s = await scenario({ ttlSeconds: 30 * DAY })
    const run = await rotation({ ...s.inputs, ttl: 'never' }, { env: s.env })
    const newId = expectRotated(s, run)
    expect(run.outputs['expires-at']).toBe('')
    expect(s.emu.planetscale.token(newId)?.expiresAt).toBeNull()
  })
})

test('create: a token with exactly the given database accesses, written to another repository', async () => {
  const s = await scenario()
  const run = await runAction(
    {
      ...s.inputs,
      command: 'create',
      targets: 'repo:acme/web',
      'token-name': 'deploy/{repository}/{run_id}',
      accesses: [
        '# read-only deploy token',
        'database=app-db read_branch connect_branch',
        'database=analytics read_branch'
      ].join('\n')
    },
    { env: s.env }
  )
  expect(annotations(run, 'error')).toEqual([])
  expect(run.code).toBe(0)
  const newId = run.outputs['token-id'] ?? ''
  expect(newId).toMatch(/^[a-z0-9]{12}$/)
  expect(run.outputs).toMatchObject({ 'expires-at': '', 'targets-written': '1' })
  expect(run.outputs).not.toHaveProperty('rotated')
  const created = s.emu.planetscale.token(newId)
  // The name as given, then the journal's marker (a token whose create answer was lost is found by it).
  expect(created).toMatchObject({ expiresAt: null, deletedAt: null })
  expect(created?.name).toMatch(/^deploy\/acme\/api\/4242 r-[0-9a-f]{10}$/)
  expect(created?.accesses).toEqual([
    'database:analytics:read_branch',
    'database:app-db:connect_branch',
    'database:app-db:read_branch'
  ])
  // The target holds the new pair, and it works.
  const pair = heldPair(s, 'repo:acme/web')
  expect(pair.id).toBe(newId)
  expect(s.emu.planetscale.authenticates({ id: newId, token: pair.token ?? '' })).toBe(true)
  // The action's own token and its secrets are untouched; nothing else was created.
  expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
  expect(s.emu.planetscale.accessSet(s.token.id)).toEqual(s.originalAccessSet)
  expect(heldPair(s, 'repo:acme/api')).toEqual({ id: s.token.id, token: s.token.token })
  expect(
    s.emu.planetscale
      .tokens(ORG)
      .map((t) => t.id)
      .sort()
  ).toEqual([...s.tokensBefore, newId].sort())
  expect(writes(s.emu).filter((e) => e.method === 'DELETE')).toEqual([])
  expect(journalState(s)?.open).toBeUndefined()
  expect(summaryTargetRows(run.summary)).toEqual([
    { target: 'repo:acme/web', result: expect.stringMatching(/new pair written/), detail: '' }
  ])
  expect(findLeaks(run, s.secrets())).toEqual([])
})

describe('list', () => {
  test('outputs the tokens without secrets and warns about tokens older than 90 days', async () => {
    const s = await scenario()
    const old = s.emu.planetscale.addToken(ORG, {
      name: 'legacy-ci',
      createdAt: daysAgo(100),
      accesses: [{ database: 'app-db', access: ['read_branch'] }]
    })
    const run = await runAction(
      // No GitHub input at all: listing needs only PlanetScale.
      {
        organization: ORG,
        command: 'list',
        'service-token-id': s.token.id,
        'service-token': s.token.token,
        'planetscale-api-url': s.emu.planetscaleUrl
      },
      { env: s.env }
    )
    expect(annotations(run, 'error')).toEqual([])
    expect(run.code).toBe(0)
    const tokens = JSON.parse(run.outputs.tokens ?? 'null') as Record<string, unknown>[]
    expect(Array.isArray(tokens)).toBe(true)
    for (const token of tokens)
      expect(Object.keys(token).sort()).toEqual(['created_at', 'expires_at', 'id', 'last_used_at', 'name'])
    expect(tokens.map((t) => t.id).sort()).toEqual([s.token.id, old.id].sort())
    expect(tokens.find((t) => t.id === old.id)).toMatchObject({
      name: 'legacy-ci',
      expires_at: null,
      created_at: s.emu.planetscale.token(old.id)?.createdAt
    })
    expect(run.outputs.tokens).not.toContain('pscale_tkn_')
    // The 100-day-old token is warned about, in the log and in the summary; the fresh one is not.
    const warnings = annotations(run, 'warning')
    expect(warnings.filter((w) => w.includes(old.id))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes(s.token.id))).toEqual([])
    expect(warnings.find((w) => w.includes(old.id))).toMatch(/100 days old/)
    const oldRow = run.summary.split('\n').find((line) => line.includes(old.id))
    const freshRow = run.summary.split('\n').find((line) => line.includes(s.token.id))
    expect(oldRow).toMatch(/older than 90 days/)
    expect(freshRow).toBeDefined()
    expect(freshRow).not.toMatch(/older than 90 days/)
    expect(writes(s.emu)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})

describe('delete', () => {
  const deleteInputs = (s: Scenario, extra: Record<string, string>): Record<string, string> => ({
    organization: ORG,
    command: 'delete',
    'service-token-id': s.token.id,
    'service-token': s.token.token,
    'planetscale-api-url': s.emu.planetscaleUrl,
    ...extra
  })

  test('deletes another token, with the action’s credentials', async () => {
    const s = await scenario()
    const other = s.emu.planetscale.addToken(ORG, {
      name: 'stale',
      accesses: [{ database: 'app-db', access: ['read_branch'] }]
    })
    const run = await runAction(deleteInputs(s, { 'token-id': other.id }), { env: s.env })
    expect(annotations(run, 'error')).toEqual([])
    expect(run.code).toBe(0)
    expect(s.emu.planetscale.isAlive(other.id)).toBe(false)
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(writes(s.emu).map((e) => [e.method, e.path, e.authorization])).toEqual([
      ['DELETE', `/organizations/${ORG}/service-tokens/${other.id}`, `planetscale:${s.token.id}`]
    ])
    expect(run.stdout).toContain(`Deleted token ${other.id}`)
    expect(run.summary).toContain(other.id)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('an unknown token ID: a warning that it was not found and to check token-id; nothing deleted', async () => {
    const s = await scenario()
    const before = s.emu.snapshot()
    const run = await runAction(deleteInputs(s, { 'token-id': 'zzzzzzzzzzzz' }), { env: s.env })
    // PlanetScale answers 404 both for a token already gone and for one that never existed (a
    // mistyped ID). Claiming "already deleted" would hide the typo while the intended token
    // (perhaps a leaked one) lives on: the run must say it was not found and to check token-id,
    // as an annotation, not a plain log line.
    const notices = [...annotations(run, 'error'), ...annotations(run, 'warning')].join('\n')
    expect(notices).toMatch(/zzzzzzzzzzzz/)
    expect(notices).toMatch(/not found|does not exist|no token/i)
    expect(notices).toMatch(/token-id/)
    expect(s.emu.snapshot()).toEqual(before)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('without token-id it refuses (exit 1) and deletes nothing', async () => {
    const s = await scenario()
    const run = await runAction(deleteInputs(s, {}), { env: s.env })
    expect(run.code).toBe(1)
    expect(annotations(run, 'error').join('\n')).toMatch(/token-id/)
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})

test('dry-run: every check runs, nothing changes', async () => {
  const s = await scenario({ targets: TARGET_SETS.all })
  const before = s.emu.snapshot()
  const run = await runAction({ ...s.inputs, 'dry-run': 'true' }, { env: s.env })
  expect(annotations(run, 'error')).toEqual([])
  expect(run.code).toBe(0)
  expect(run.outputs).toMatchObject({
    rotated: 'false',
    'previous-token-deleted': 'false',
    'token-id': '',
    'previous-token-id': s.token.id,
    'targets-written': '0'
  })
  expect(writes(s.emu)).toEqual([])
  expect(s.emu.snapshot()).toEqual(before)
  // It did check: credentials, the token, and every target's public key.
  const reads = s.emu.log.map((e) => `${e.method} ${e.path}`)
  expect(reads).toContain('GET /organizations')
  expect(reads).toContain(`GET /organizations/${ORG}/service-tokens/${s.token.id}`)
  for (const path of [
    '/repos/acme/api/actions',
    '/repos/acme/api/environments/production',
    '/orgs/acme/actions',
    '/repos/acme/api/dependabot',
    '/orgs/acme/dependabot'
  ]) {
    expect(reads).toContain(`GET ${path}/secrets/public-key`)
  }
  expect(
    summaryTargetRows(run.summary)
      .map((r) => r.target)
      .sort()
  ).toEqual([...TARGET_SETS.all].sort())
  expect(invariantViolations(s)).toEqual([])
  expect(findLeaks(run, s.secrets())).toEqual([])
})

describe('min-age', () => {
  test('a fresh token is skipped: exit 0, rotated=false, no write', async () => {
    const s = await scenario()
    const before = s.emu.snapshot()
    const run = await runAction({ ...s.inputs, 'min-age': '30d' }, { env: s.env })
    expect(annotations(run, 'error')).toEqual([])
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      rotated: 'false',
      'previous-token-deleted': 'false',
      'token-id': '',
      'targets-written': '0'
    })
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.snapshot()).toEqual(before)
    expect(run.summary).toMatch(/Skipped/)
    expect(invariantViolations(s)).toEqual([])
  })

  test('a token created 40 days ago is rotated', async () => {
    const s = await scenario({ createdAt: daysAgo(40) })
    expectRotated(s, await rotation({ ...s.inputs, 'min-age': '30d' }, { env: s.env }))
  })

  test('a token created 1 day ago that expires in 2 days is rotated', async () => {
    const s = await scenario({ createdAt: daysAgo(1), ttlSeconds: 3 * DAY })
    expectRotated(s, await rotation({ ...s.inputs, 'min-age': '30d' }, { env: s.env }))
  })
})

test('token-id naming another token: a management token rotates a deploy token', async () => {
  const base = await scenario({ targets: TARGET_SETS.three })
  const s = withTokenToRotate(base, {
    name: 'deploy',
    accesses: [
      { database: 'app-db', access: ['read_branch', 'connect_branch'] },
      { database: 'analytics', access: ['read_branch'] }
    ]
  })
  const run = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
  const newId = expectRotated(s, run, { deleted: true })
  // The journal starts the line at the deploy token, so that a scheduled workflow can keep naming it.
  expect(journalState(s)).toMatchObject({ line: s.token.id, current: newId })
  // The deploy token is deleted with the action's own credentials; the management token lives on.
  const deletion = writes(s.emu).filter((e) => e.api === 'planetscale' && e.method === 'DELETE')
  expect(deletion.map((e) => [e.path, e.authorization])).toEqual([
    [`/organizations/${ORG}/service-tokens/${s.token.id}`, `planetscale:${base.token.id}`]
  ])
  expect(s.emu.planetscale.isAlive(base.token.id)).toBe(true)
  expect(s.emu.planetscale.accessSet(base.token.id)).toEqual(base.originalAccessSet)
  // The new deploy token got the deploy accesses, not the management ones.
  expect(s.emu.planetscale.accessSet(newId).some((a) => MANAGEMENT.some((m) => a.endsWith(m)))).toBe(false)
})

test('bad credentials answered with 404: exit 1, advice to check the pair, nothing changed', async () => {
  const s = await scenario({ emulator: { planetscale: { badCredentialsStatus: 404 } } })
  const wrong = `pscale_tkn_${'W'.repeat(43)}`
  const before = s.emu.snapshot()
  const run = await runAction({ ...s.inputs, 'service-token': wrong }, { env: s.env })
  expect(run.code).toBe(1)
  const message = annotations(run, 'error').join('\n')
  expect(message).toMatch(/service-token-id/)
  expect(message).toMatch(/service-token\b/)
  expect(message).toMatch(/404/)
  expect(writes(s.emu)).toEqual([])
  expect(s.emu.snapshot()).toEqual(before)
  expect(invariantViolations(s)).toEqual([])
  expect(findLeaks(run, [...s.secrets(), wrong])).toEqual([])
})

// A journal records one line. `create` into another repository with the default journal (the one
// this repository's rotation line uses) is refused before any change, instead of becoming that
// line's `current`; with a journal of its own it works, and the line goes on untouched.
test('create does not take over the rotation line whose journal it would share', async () => {
  const base = await scenario()
  const s = withTokenToRotate(base, { accesses: [{ database: 'app-db', access: ['read_branch'] }] })
  const first = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: s.env })
  const current = expectRotated(s, first, { deleted: true })
  const createInputs = {
    ...base.inputs,
    command: 'create',
    targets: 'repo:acme/web',
    accesses: 'database=analytics read_branch'
  }
  const tokensBefore = s.emu.planetscale.tokens(ORG).map((t) => t.id)
  const shared = await runAction(createInputs, { env: { ...s.env, GITHUB_RUN_ID: '5151' } })
  expect(shared.code).toBe(1)
  expect(failure(shared)).toMatch(/records the rotations of other targets \(repo:acme\/api\).*its own journal/)
  expect(s.emu.planetscale.tokens(ORG).map((t) => t.id)).toEqual(tokensBefore)
  expect(heldPair(s, 'repo:acme/web').id).toBeUndefined()

  const created = await runAction(
    { ...createInputs, journal: 'repo:acme/web name=WEB_TOKEN_ROTATION' },
    { env: { ...s.env, GITHUB_RUN_ID: '5152' } }
  )
  expect(created.code).toBe(0)
  const next = await runAction({ ...s.inputs, 'delete-previous': 'true' }, { env: { ...s.env, GITHUB_RUN_ID: '5252' } })
  expect(next.code).toBe(0)
  expect(next.outputs['previous-token-id']).toBe(current)
  const web = heldPair(s, 'repo:acme/web')
  expect(web.id).toBe(created.outputs['token-id'])
  expect(s.emu.planetscale.authenticates({ id: web.id!, token: web.token! })).toBe(true)
  expect(s.emu.planetscale.isAlive(current)).toBe(false)
})
