// A fault, then the next run. The action is killed (SIGKILL, as a lost runner or an OOM kill
// would) at every request boundary of a rotation, then run again with the secrets exactly as the
// killed run left them: a re-run whose credentials are what the rotation repository's secrets
// hold. After that next run, the contract's invariants must hold with no human step: every target
// holds the newest working pair, no token of the rotation is alive but the newest and those still
// in their grace, and no secret leaked. The same shape for the other faults a run can meet.
import { afterAll, describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  ORG,
  TARGET_SETS,
  TOKEN_NAME,
  annotations,
  findLeaks,
  heldPair,
  runAction,
  startScenario,
  type ActionRun,
  withTokenToRotate,
  type Scenario
} from './harness.js'

const JOURNAL = 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION'
const ROTATION_REPO = 'repo:acme/api'
const RUN_ID = '5000'

interface Tally {
  interruptions: number
  broken: number
  leftBehind: number
  leaks: number
}
const tally: Tally = { interruptions: 0, broken: 0, leftBehind: 0, leaks: 0 }

afterAll(() => {
  // The figure the issue asks to print, like the fault matrix's.
  console.log(
    `lifecycle: ${tally.interruptions} interruptions, ${tally.broken} targets broken after the next run, ` +
      `${tally.leftBehind} tokens left behind, ${tally.leaks} leaks`
  )
})

function journalOf(s: Scenario): { text: string; retiring: { id: string; after: string }[] } {
  const text = s.emu.github.variable(ROTATION_REPO, JOURNAL)?.value ?? ''
  const parsed = text === '' ? {} : (JSON.parse(text) as { retiring?: { id: string; after: string }[] })
  return { text, retiring: parsed.retiring ?? [] }
}

/** The v2 invariants after a run that met no fault; each violation is one line. */
function violations(s: Scenario, newest: string | undefined, runs: ActionRun[]): Tally & { lines: string[] } {
  const lines: string[] = []
  let broken = 0
  let leftBehind = 0
  for (const scope of s.targets) {
    const { id, token } = heldPair(s, scope)
    const works = id !== undefined && token !== undefined && s.emu.planetscale.authenticates({ id, token })
    if (id !== newest || !works || s.emu.planetscale.accessSet(id).join() !== s.originalAccessSet.join()) {
      broken++
      lines.push(`${scope} holds ${id ?? 'nothing'} (${works ? 'works' : 'refused'}), not the newest ${newest}`)
    }
  }
  const journal = journalOf(s)
  const now = Date.now()
  for (const token of s.emu.planetscale.tokens(ORG)) {
    if (token.id === newest) continue
    const retiring = journal.retiring.find((r) => r.id === token.id)
    if (retiring && Date.parse(retiring.after) > now) continue
    leftBehind++
    lines.push(`token ${token.id} (${token.name ?? 'unnamed'}) is alive: neither the newest nor in its grace`)
  }
  const secrets = s.secrets()
  const leaks = runs.flatMap((run) => findLeaks(run, secrets))
  leaks.push(...secrets.filter((secret) => journal.text.includes(secret)).map(() => 'the journal holds a secret'))
  lines.push(...leaks)
  return { interruptions: 0, broken, leftBehind, leaks: leaks.length, lines }
}

/**
 * The invariants that hold even right after a kill: the old token is gone only if every target holds
 * a working newer pair; every token the killed run made is held by a target or recorded in the
 * journal (by ID, or by the marker in its name) for the next run to retire; no secret leaked.
 */
function afterKill(s: Scenario, killed: ActionRun): string[] {
  const lines: string[] = []
  const journal = JSON.parse(journalOf(s).text || '{}') as {
    current?: string
    open?: { marker: string; from?: string; to?: string }
    stale?: string[]
    markers?: string[]
    retiring?: { id: string }[]
  }
  const named = new Set(
    [journal.current, journal.open?.from, journal.open?.to, ...(journal.stale ?? [])].concat(
      (journal.retiring ?? []).map((r) => r.id)
    )
  )
  const markers = [...(journal.markers ?? []), ...(journal.open ? [journal.open.marker] : [])]
  const held = new Set(s.targets.map((scope) => heldPair(s, scope).id))
  for (const token of s.emu.planetscale.tokens(ORG)) {
    if (s.tokensBefore.has(token.id) || held.has(token.id) || named.has(token.id)) continue
    if (markers.some((m) => (token.name ?? '').split(' ').includes(m))) continue
    lines.push(`token ${token.id} is alive, held by no target and unknown to the journal`)
  }
  if (!s.emu.planetscale.isAlive(s.token.id)) {
    for (const scope of s.targets) {
      const { id, token } = heldPair(s, scope)
      if (!id || !token || !s.emu.planetscale.authenticates({ id, token }))
        lines.push(`the old token was deleted while ${scope} does not hold a working pair`)
    }
  }
  const secrets = s.secrets()
  lines.push(...findLeaks(killed, secrets))
  if (secrets.some((secret) => journalOf(s).text.includes(secret))) lines.push('the journal holds a secret')
  tally.leaks += lines.filter((l) => /secret/.test(l)).length
  return lines
}

function count(result: Tally & { lines: string[] }): string[] {
  tally.broken += result.broken
  tally.leftBehind += result.leftBehind
  tally.leaks += result.leaks
  return result.lines
}

/** A re-run of the same workflow run: the credentials are whatever the rotation repository holds now. */
function nextRun(s: Scenario, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  const { id, token } = heldPair(s, ROTATION_REPO)
  return runAction(
    { ...s.inputs, 'service-token-id': id ?? '', 'service-token': token ?? '', ...inputs },
    { env: { ...s.env, GITHUB_RUN_ID: RUN_ID, GITHUB_RUN_ATTEMPT: '2', ...env } }
  )
}

function explain(run: ActionRun): string {
  return (run.stdout + run.stderr)
    .split('\n')
    .filter((line) => !line.startsWith('::debug::') && !line.startsWith('::add-mask::'))
    .join('\n')
}

/** Requests of one clean rotation of these targets (the boundaries to walk). */
async function requestsOfARotation(targets: readonly string[]): Promise<number> {
  const s = await startScenario({ targets })
  try {
    const run = await runAction(s.inputs, { env: { ...s.env, GITHUB_RUN_ID: RUN_ID } })
    expect(run.code).toBe(0)
    return s.emu.log.length
  } finally {
    await s.emu.stop()
  }
}

/** Kills the run when the emulator holds its nth request, then runs again; returns the violations. */
async function interruptAt(targets: readonly string[], n: number, phase: 'before' | 'after'): Promise<string[]> {
  const s = await startScenario({ targets })
  try {
    const held = s.emu.holdAtRequest(n, phase)
    held.catch(() => undefined)
    let pid: number | undefined
    const running = runAction(s.inputs, {
      env: { ...s.env, GITHUB_RUN_ID: RUN_ID, GITHUB_RUN_ATTEMPT: '1' },
      onStart: (p) => (pid = p)
    })
    const first = await Promise.race([held.then(() => 'held' as const), running.then(() => 'ended' as const)])
    if (first === 'held' && pid !== undefined) process.kill(pid, 'SIGKILL')
    const killed = await running
    s.emu.releaseHolds()
    tally.interruptions++
    const where = `killed at request ${n} (${phase})`
    const problems = afterKill(s, killed).map((line) => `${where}, right after: ${line}`)
    const next = await nextRun(s)
    if (next.code !== 0) return [...problems, `${where}: the next run failed (exit ${next.code}):\n${explain(next)}`]
    return [...problems, ...count(violations(s, next.outputs['token-id'], [next])).map((line) => `${where}: ${line}`)]
  } finally {
    await s.emu.stop()
  }
}

describe('SIGKILL at every request boundary, then the next run', () => {
  test.each([
    ['one target', TARGET_SETS.one, ['before', 'after'] as const],
    ['a repository, an environment and an organization', TARGET_SETS.three, ['before'] as const]
  ])(
    '%s',
    async (_name, targets, phases) => {
      const requests = await requestsOfARotation(targets)
      // Step 0, the check, intent, create, grant, test, two writes a target, the journal, the end.
      expect(requests).toBeGreaterThan(10 + 2 * targets.length)
      const problems: string[] = []
      for (const phase of phases) {
        for (let n = 1; n <= requests; n++) problems.push(...(await interruptAt(targets, n, phase)))
      }
      expect(problems).toEqual([])
    },
    600_000
  )
})

describe('other faults, then the next run', () => {
  const withScenario = async (
    options: Parameters<typeof startScenario>[0],
    body: (s: Scenario) => Promise<void>
  ): Promise<void> => {
    const s = await startScenario(options)
    try {
      await body(s)
    } finally {
      await s.emu.stop()
    }
  }
  const firstRun = (s: Scenario, inputs: Record<string, string> = {}) =>
    runAction({ ...s.inputs, ...inputs }, { env: { ...s.env, GITHUB_RUN_ID: RUN_ID, GITHUB_RUN_ATTEMPT: '1' } })
  const expectRepaired = (s: Scenario, next: ActionRun, runs: ActionRun[]) => {
    expect({ code: next.code, log: next.code === 0 ? '' : explain(next) }).toEqual({ code: 0, log: '' })
    expect(count(violations(s, next.outputs['token-id'], [...runs, next]))).toEqual([])
  }

  test('the GitHub token dies mid-writes: the run stops, a run with a fresh token repairs', async () => {
    // Where the secret writes begin among a clean run's GitHub requests.
    let firstWrite = 0
    await withScenario({ targets: TARGET_SETS.three }, async (s) => {
      expect((await firstRun(s)).code).toBe(0)
      const github = s.emu.log.filter((e) => e.api === 'github')
      firstWrite = github.findIndex((e) => e.method === 'PUT')
    })
    expect(firstWrite).toBeGreaterThan(0)
    for (const survives of [firstWrite + 1, firstWrite + 2, firstWrite + 4]) {
      await withScenario({ targets: TARGET_SETS.three }, async (s) => {
        // An App token that GitHub stops accepting partway (it expired, or was revoked).
        const dying = `ghs_dyingInstallationToken${survives}000000000`
        s.emu.github.addToken(dying, { scopes: 'all', expiresAfterRequests: survives })
        const first = await firstRun(s, { 'github-token': dying })
        expect(first.code).toBe(1)
        expect(
          s.emu.log.filter((e) => e.method === 'PUT' && (e.status === 201 || e.status === 204)).length
        ).toBeGreaterThan(0)
        tally.interruptions++
        const next = await nextRun(s)
        expectRepaired(s, next, [first])
        expect(next.outputs.repaired).toBe('true')
      })
    }
  })

  test('a token write that lands and then answers 502: uncertain, both tokens kept; the next run repairs', async () => {
    await withScenario({ targets: TARGET_SETS.three }, async (s) => {
      // Someone else's token: the action cannot write the old token back, so only the journal saves it.
      s.emu.addFault({
        api: 'github',
        method: 'PUT',
        path: `/repos/acme/api/environments/production/secrets/${TOKEN_NAME}`,
        phase: 'after',
        times: Infinity,
        response: { status: 502, body: { message: 'Bad Gateway' } }
      })
      const first = await firstRun(s)
      expect(first.code).toBe(1)
      expect(first.summary).toContain('uncertain')
      const firstNew = first.outputs['token-id']!
      expect(s.emu.planetscale.isAlive(firstNew)).toBe(true)
      expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
      s.emu.clearFaults()
      tally.interruptions++
      const next = await nextRun(s)
      expectRepaired(s, next, [first])
      expect(next.outputs.repaired).toBe('true')
    })
  })

  test('a partial failure, then a daily run with min-age: it does not skip, it finishes the rotation', async () => {
    await withScenario({ targets: TARGET_SETS.three, createdAt: new Date(Date.now() - 40 * 86_400_000) }, async (s) => {
      const refusal = s.emu.addFault({
        api: 'github',
        method: 'PUT',
        path: `/orgs/acme/actions/secrets/${ID_NAME}`,
        times: Infinity,
        response: { status: 403, body: { message: 'Resource not accessible by integration' } }
      })
      const first = await firstRun(s, { 'min-age': '30d' })
      expect(first.code).toBe(1)
      s.emu.removeFault(refusal)
      tally.interruptions++
      // The next day's run: a new workflow run, not a re-run.
      const next = await nextRun(s, { 'min-age': '30d' }, { GITHUB_RUN_ID: '5001', GITHUB_RUN_ATTEMPT: '1' })
      expect(next.outputs.rotated).toBe('true')
      expectRepaired(s, next, [first])
      // The first run's new token was held by some targets: it retires after its grace, like the old one.
      const retiring = journalOf(s).retiring.map((r) => r.id)
      expect(retiring).toEqual(expect.arrayContaining([s.token.id, first.outputs['token-id']!]))
    })
  })

  test('a delete that lands and answers 500, then 404 on its retry: deleted, no warning of a concurrent run', async () => {
    await withScenario({ targets: TARGET_SETS.one }, async (s) => {
      s.emu.addFault({
        api: 'planetscale',
        method: 'DELETE',
        path: new RegExp(`/service-tokens/${s.token.id}$`),
        phase: 'after',
        response: { status: 500, body: { code: 'internal', message: 'Internal Server Error' } }
      })
      const first = await firstRun(s, { 'delete-previous': 'true' })
      expect({ code: first.code, log: explain(first) }).toMatchObject({ code: 0 })
      expect(first.outputs['previous-token-deleted']).toBe('true')
      expect(annotations(first, 'warning').join('\n')).not.toMatch(/another rotation|same time/i)
      expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
      expect(count(violations(s, first.outputs['token-id'], [first]))).toEqual([])
    })
  })

  test('a management workflow can name the first token of its line in token-id at every run', async () => {
    await withScenario({ targets: TARGET_SETS.one }, async (base) => {
      const s = withTokenToRotate(base, { name: 'deploy', accesses: [{ database: 'app-db', access: ['read_branch'] }] })
      const first = await firstRun(s)
      expect(first.code).toBe(0)
      const second = await runAction(s.inputs, { env: { ...s.env, GITHUB_RUN_ID: '5001' } })
      expect({ code: second.code, log: second.code === 0 ? '' : explain(second) }).toEqual({ code: 0, log: '' })
      expect(second.outputs['previous-token-id']).toBe(first.outputs['token-id'])
      expect(second.stdout).toContain(`rotating the line's current token ${first.outputs['token-id']} instead`)
      const { id, token } = heldPair(s, ROTATION_REPO)
      expect(id).toBe(second.outputs['token-id'])
      expect(s.emu.planetscale.authenticates({ id: id!, token: token! })).toBe(true)
      expect(s.emu.planetscale.accessSet(id!)).toEqual(s.originalAccessSet)
    })
  })

  test('grace: the old token outlives the run, a run inside the grace keeps it, the first run after deletes it', async () => {
    await withScenario({ targets: TARGET_SETS.one }, async (s) => {
      const GRACE_S = 4
      const first = await firstRun(s, { 'delete-previous': String(GRACE_S) })
      expect(first.code).toBe(0)
      const retiresAt = Date.parse(first.outputs['previous-token-retires-at']!)
      expect(retiresAt).toBeGreaterThan(Date.now())
      expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
      // A job that read the old pair before the rotation still uses it.
      const used = await fetch(`${s.emu.planetscaleUrl}/organizations`, {
        headers: { authorization: `${s.token.id}:${s.token.token}` }
      })
      expect(used.status).toBe(200)

      const inside = await nextRun(s, { 'min-age': '30d' }, { GITHUB_RUN_ID: '5001' })
      expect(inside.code).toBe(0)
      expect(inside.outputs.rotated).toBe('false')
      if (Date.now() < retiresAt) expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, retiresAt - Date.now()) + 200))
      const after = await nextRun(s, { 'min-age': '30d' }, { GITHUB_RUN_ID: '5002' })
      expect(after.code).toBe(0)
      expect(s.emu.planetscale.isAlive(s.token.id)).toBe(false)
      // The old token was used after it was replaced (the "job" above): a warning before it went.
      expect(annotations(after, 'warning').join('\n')).toContain(`Token ${s.token.id} was last used`)
      expect(journalOf(s).retiring).toEqual([])
      expect(count(violations(s, first.outputs['token-id'], [first, inside, after]))).toEqual([])
    })
  })
})
