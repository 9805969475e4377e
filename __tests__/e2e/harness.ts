// Scenarios for the end-to-end tests: an emulator seeded with a self-rotating token whose pair the
// targets hold, and the contract's invariants checked from the emulator's state.
import { afterEach, expect } from '@jest/globals'
import { seedDemo, startEmulator, type AccessSpec, type EmulatorOptions, type LogEntry } from '../../emulator/index.js'
import type { ActionRun } from '../../scripts/lib/run-bundle.js'
export {
  BUNDLE,
  findLeaks,
  parseOutputFile,
  runAction,
  type ActionRun,
  type RunOptions
} from '../../scripts/lib/run-bundle.js'

export type Emulator = Awaited<ReturnType<typeof startEmulator>>

export const ORG = 'acme'
export const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
export const MANAGEMENT = ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens']
/** Where the action keeps its journal by default in these scenarios: `repo:${GITHUB_REPOSITORY}`, `<id-secret-name>_ROTATION`. */
export const JOURNAL = { scope: 'repo:acme/api', name: `${ID_NAME}_ROTATION` } as const
/** `delete-previous`'s default grace. */
export const DEFAULT_GRACE_MS = 3_600_000

export interface Scenario {
  emu: Emulator
  token: { id: string; token: string }
  githubToken: string
  /** Scope keys of the targets (= the action's target labels). */
  targets: string[]
  originalAccessSet: string[]
  tokensBefore: Set<string>
  inputs: Record<string, string>
  /** Tuning for tests: short write spacing, retry waits and timeouts (see src/inputs/tuning.ts). */
  env: Record<string, string>
  /** Every secret the scenario knows (for leak scans): PlanetScale secrets issued so far and the GitHub token. */
  secrets(): string[]
  /** The journal's variable; default JOURNAL (the action's default for GITHUB_REPOSITORY acme/api). */
  journal?: { scope: string; name: string }
}

export const FAST_ENV: Record<string, string> = {
  PSCALE_ACTION_WRITE_SPACING_MS: '20',
  PSCALE_ACTION_RETRY_BASE_MS: '20',
  PSCALE_ACTION_REQUEST_TIMEOUT_MS: '2000',
  PSCALE_ACTION_VERIFY_TIMEOUT_MS: '3000'
}

export const SEED_ACCESSES: AccessSpec[] = [
  { organization: true, access: [...MANAGEMENT, 'read_databases'] },
  { database: 'app-db', access: ['read_branch', 'create_deploy_request', 'connect_branch'] },
  { database: 'analytics', access: ['read_branch'] }
]

export const TARGET_SETS = {
  one: ['repo:acme/api'],
  three: ['repo:acme/api', 'environment:acme/api/production', 'org:acme'],
  all: ['repo:acme/api', 'environment:acme/api/production', 'org:acme', 'dependabot:acme/api', 'dependabot-org:acme']
} as const

const isOrgScope = (scope: string): boolean => scope.startsWith('org:') || scope.startsWith('dependabot-org:')

/** Seeds an organization, a self-rotating management token and targets that hold its pair. */
export async function startScenario(
  options: {
    targets?: readonly string[]
    emulator?: Parameters<typeof startEmulator>[0]
    ttlSeconds?: number
    createdAt?: Date
    /** The self-rotating token's accesses; default SEED_ACCESSES. */
    accesses?: AccessSpec[]
  } = {}
): Promise<Scenario> {
  const emu = await startEmulator(options.emulator ?? {})
  emu.planetscale.addOrganization(ORG, { databases: ['app-db', 'analytics'] })
  const token = emu.planetscale.addToken(ORG, {
    name: 'github-actions/acme/api/seed',
    ttlSeconds: options.ttlSeconds,
    createdAt: options.createdAt,
    accesses: options.accesses ?? SEED_ACCESSES
  })
  emu.github.addOrganization(ORG)
  emu.github.addRepository('acme/api', { environments: ['production', 'staging'] })
  emu.github.addRepository('acme/web', {})
  const githubToken = 'ghs_emulatorAppInstallationToken0001'
  emu.github.addToken(githubToken, { scopes: 'all' })
  const targets = [...(options.targets ?? TARGET_SETS.one)]
  for (const scope of targets) {
    emu.github.putSecretPlain(scope, ID_NAME, token.id, isOrgScope(scope) ? { visibility: 'private' } : {})
    emu.github.putSecretPlain(scope, TOKEN_NAME, token.token, isOrgScope(scope) ? { visibility: 'private' } : {})
  }
  return {
    emu,
    token,
    githubToken,
    targets,
    originalAccessSet: emu.planetscale.accessSet(token.id),
    tokensBefore: new Set(emu.planetscale.tokens(ORG).map((t) => t.id)),
    inputs: {
      organization: ORG,
      'service-token-id': token.id,
      'service-token': token.token,
      'github-token': githubToken,
      targets: targets.join('\n'),
      'planetscale-api-url': emu.planetscaleUrl,
      'github-api-url': emu.githubUrl
    },
    env: { ...FAST_ENV },
    secrets: () => [...emu.planetscale.tokenSecrets(), githubToken]
  }
}

export type ScenarioOptions = Parameters<typeof startScenario>[0]

/** startScenario with a test file's defaults; every scenario it starts is stopped after each test. */
export function scenarios(defaults: ScenarioOptions = {}): (options?: ScenarioOptions) => Promise<Scenario> {
  const started: Scenario[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.emu.stop()))
  })
  return async (options = {}) => {
    const s = await startScenario({ ...defaults, ...options })
    started.push(s)
    return s
  }
}

/**
 * The rotation journal as the action stored it (read from the emulator, not through the action),
 * or undefined when the variable does not exist. Typed here rather than imported from src/: the
 * stored format is what the tests hold the action to.
 */
export interface JournalView {
  version: number
  line?: string
  current?: string
  open?: {
    marker: string
    run: string
    startedAt: string
    leaseUntil: string
    from?: string
    to?: string
    phase: 'creating' | 'writing' | 'written'
    targets: Record<string, string>
    writtenAt?: string
    graceSeconds: number | null
  }
  stale: string[]
  markers: string[]
  retiring: { id: string; after: string; replacedAt?: string }[]
  updated?: { run: string; at: string }
}

/** Throws when the variable holds something that is not a journal object. */
export function journalState(s: Scenario): JournalView | undefined {
  const { scope, name } = s.journal ?? JOURNAL
  const raw = s.emu.github.variable(scope, name)?.value
  if (raw === undefined) return undefined
  const value = JSON.parse(raw) as Partial<JournalView> | null
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`the journal ${scope} ${name} is not a JSON object: ${raw}`)
  return {
    ...value,
    stale: value.stale ?? [],
    markers: value.markers ?? [],
    retiring: value.retiring ?? []
  } as JournalView
}

/** Entries of the journal's retiring list whose grace is not over yet. */
export function inGrace(s: Scenario, now = Date.now()): JournalView['retiring'] {
  return (journalState(s)?.retiring ?? []).filter((r) => Date.parse(r.after) > now)
}

/**
 * The contract's invariants, from emulator state, after any run (faults included). Returns the
 * violations (empty when all hold). A token the journal lists as retiring is not an orphan while
 * its grace lasts (`delete-previous` keeps it valid on purpose); anything else a run created and
 * no target holds is one, even when the journal records it for the next run (tests that expect
 * that name it, and check the next run clears it with settledViolations).
 */
export function invariantViolations(s: Scenario): string[] {
  const problems: string[] = []
  const { emu } = s
  const used = new Set<string>()
  let allNew = true
  for (const scope of s.targets) {
    const id = emu.github.secret(scope, ID_NAME)?.value
    const token = emu.github.secret(scope, TOKEN_NAME)?.value
    if (!id || !token) {
      problems.push(`${scope}: a secret is missing`)
      allNew = false
      continue
    }
    used.add(id)
    if (id === s.token.id) allNew = false
    if (!emu.planetscale.authenticates({ id, token }))
      problems.push(`${scope}: the stored pair (${id}) does not authenticate: locked out`)
    else if (emu.planetscale.accessSet(id).join() !== s.originalAccessSet.join())
      problems.push(`${scope}: the stored token ${id} lacks the original accesses`)
  }
  if (!emu.planetscale.isAlive(s.token.id) && !allNew)
    problems.push('the old token was deleted while a target still depends on it')

  let grace: JournalView['retiring'] = []
  try {
    grace = inGrace(s)
  } catch (error) {
    problems.push(`journal: ${(error as Error).message}`)
  }
  for (const r of grace) {
    // A token deleted before it was scheduled (e.g. a run that backed off deleted its own, and a later
    // run retires every token of that race) is not one deleted early.
    const deletedAt = emu.planetscale.token(r.id)?.deletedAt
    const scheduledAt = r.replacedAt === undefined ? undefined : Date.parse(r.replacedAt)
    const early = scheduledAt === undefined ? r.id === s.token.id : Date.parse(deletedAt ?? '') >= scheduledAt
    if (deletedAt && early) problems.push(`token ${r.id} was deleted before its grace ended (${r.after})`)
  }
  const graceIds = new Set(grace.map((r) => r.id))
  for (const t of emu.planetscale.tokens(ORG)) {
    if (!s.tokensBefore.has(t.id) && !used.has(t.id) && !graceIds.has(t.id))
      problems.push(`orphan: token ${t.id} was created by the run and no target uses it`)
  }
  // The journal is readable by anyone who can read the repository's variables: IDs only, never a value.
  for (const [scope, variables] of Object.entries(emu.snapshot().variables)) {
    for (const [name, value] of Object.entries(variables)) {
      for (const secret of s.secrets()) {
        if (secret && value.includes(secret))
          problems.push(`leak: variable ${name} of ${scope} contains a secret (${secret.slice(0, 14)}…)`)
      }
    }
  }
  return problems
}

/**
 * The contract's invariant after the next run that meets no fault: every target holds the same,
 * newest pair, the journal has nothing left to finish, and no token of the rotation but the
 * newest is alive, save those inside `delete-previous`'s grace. Includes invariantViolations.
 */
export function settledViolations(s: Scenario): string[] {
  const problems = invariantViolations(s)
  const { emu } = s
  const held = new Set(s.targets.map((scope) => emu.github.secret(scope, ID_NAME)?.value))
  const created = emu.planetscale.tokens(ORG).filter((t) => !s.tokensBefore.has(t.id))
  const newest = created.at(-1)?.id
  if (held.size !== 1) problems.push(`the targets hold different IDs: ${[...held].join(', ')}`)
  for (const id of held) if (id !== newest) problems.push(`a target holds ${id}, not the newest token ${newest}`)
  let journal: JournalView | undefined
  let grace = new Set<string>()
  try {
    journal = journalState(s)
    grace = new Set(inGrace(s).map((r) => r.id))
  } catch {
    // reported by invariantViolations
  }
  if (journal?.open) problems.push(`the journal still shows an open rotation (run ${journal.open.run})`)
  if (journal && journal.stale.length > 0) problems.push(`the journal still lists ${journal.stale.join(', ')} as stale`)
  if (journal && journal.current !== newest)
    problems.push(`the journal's current token is ${journal.current}, not ${newest}`)
  // Tokens that are not part of the rotation (e.g. the management token that rotates another) stay.
  const bystanders = new Set([...s.tokensBefore].filter((id) => id !== s.token.id))
  for (const t of emu.planetscale.tokens(ORG)) {
    if (t.id !== newest && !bystanders.has(t.id) && !grace.has(t.id))
      problems.push(`token ${t.id} is alive, no target holds it and it is not inside delete-previous's grace`)
  }
  return problems
}

/**
 * The new default of `delete-previous` (1h grace): the replaced token is alive, the journal lists it
 * as retiring about an hour after the run, and the output says when. `window`: Date.now() before
 * and after the run.
 */
export function expectRetiring(
  s: Scenario,
  run: Pick<ActionRun, 'outputs'>,
  id: string,
  window: { before: number; after: number },
  graceMs = DEFAULT_GRACE_MS
): void {
  expect(s.emu.planetscale.isAlive(id)).toBe(true)
  expect(run.outputs['previous-token-deleted']).toBe('false')
  const at = run.outputs['previous-token-retires-at'] ?? ''
  const retiresAt = Date.parse(at)
  expect(retiresAt).toBeGreaterThanOrEqual(window.before + graceMs - 1_000)
  expect(retiresAt).toBeLessThanOrEqual(window.after + graceMs + 1_000)
  expect(journalState(s)?.retiring).toContainEqual(expect.objectContaining({ id, after: at }))
}

/** The pair held by a target, as a run's credentials (a workflow reads them from that target's secrets). */
export function credentialsFrom(s: Scenario, scope = s.targets[0]!): Record<string, string> {
  const pair = heldPair(s, scope)
  return { 'service-token-id': pair.id ?? '', 'service-token': pair.token ?? '' }
}

// ---- helpers for the command and protocol tests ------------------------------------------

/**
 * Seeds a second token (e.g. a deploy token) whose pair every target holds, and returns the
 * scenario of rotating it with the action's own (management) token: `token-id` names it, and
 * the invariants are checked against it.
 */
export function withTokenToRotate(s: Scenario, options: { name?: string; accesses: AccessSpec[] }): Scenario {
  const other = s.emu.planetscale.addToken(ORG, { name: options.name ?? 'deploy', accesses: options.accesses })
  for (const scope of s.targets) {
    const visibility = isOrgScope(scope) ? { visibility: 'private' as const } : {}
    s.emu.github.putSecretPlain(scope, ID_NAME, other.id, visibility)
    s.emu.github.putSecretPlain(scope, TOKEN_NAME, other.token, visibility)
  }
  return {
    ...s,
    token: other,
    originalAccessSet: s.emu.planetscale.accessSet(other.id),
    tokensBefore: new Set(s.emu.planetscale.tokens(ORG).map((t) => t.id)),
    inputs: { ...s.inputs, 'token-id': other.id }
  }
}

/** Requests that change state (anything but a GET), for "nothing changed" checks. */
export function writes(emu: Emulator): LogEntry[] {
  return emu.log.filter((entry) => entry.method !== 'GET')
}

/** Writes to GitHub secrets only (journal writes left out), for "no secret touched" checks. */
export function secretWrites(emu: Emulator): LogEntry[] {
  return emu.log.filter((entry) => entry.api === 'github' && entry.method !== 'GET' && /\/secrets\//.test(entry.path))
}

/** Requests to the journal's Actions variables (reads and writes). */
export function journalRequests(emu: Emulator): LogEntry[] {
  return emu.log.filter((entry) => entry.api === 'github' && /\/variables(\/|$)/.test(entry.path))
}

/** IDs of tokens this run created, deleted ones included (read from request paths and credentials). */
export function createdTokenIds(s: Scenario): string[] {
  const ids = new Set<string>()
  for (const entry of s.emu.log) {
    if (entry.api !== 'planetscale') continue
    const fromPath = /\/service-tokens\/([a-z0-9]+)/.exec(entry.path)?.[1]
    const fromAuth = /^planetscale:([a-z0-9]+)$/.exec(entry.authorization ?? '')?.[1]
    for (const id of [fromPath, fromAuth]) if (id && !s.tokensBefore.has(id) && s.emu.planetscale.token(id)) ids.add(id)
  }
  return [...ids]
}

/** The pair a target holds, as the emulator decrypted it. */
export function heldPair(s: Scenario, scope: string): { id: string | undefined; token: string | undefined } {
  return { id: s.emu.github.secret(scope, ID_NAME)?.value, token: s.emu.github.secret(scope, TOKEN_NAME)?.value }
}

/** Rows of the job summary's "### Targets" table. */
export function summaryTargetRows(summary: string): { target: string; result: string; detail: string }[] {
  const section = summary.split('### Targets')[1]?.split(/\n#{2,3} /)[0] ?? ''
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Target |') && !line.startsWith('| ---'))
    .map((line) => {
      const [target = '', result = '', detail = ''] = line.slice(2, -2).split(' | ')
      return { target: target.trim(), result: result.trim(), detail: detail.trim() }
    })
}

/** The failure message (all ::error:: annotations), as the user reads it. */
export function failure(run: Pick<ActionRun, 'stdout'>): string {
  return annotations(run, 'error').join('\n')
}

/** Workflow-command lines (`::error::`, `::warning::`) as plain text: @actions/core escapes %, CR and LF. */
export function annotations(run: Pick<ActionRun, 'stdout'>, kind: 'error' | 'warning'): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith(`::${kind}::`) || line.startsWith(`::${kind} `))
    .map((line) =>
      line
        .slice(line.indexOf('::', 2) + 2)
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}

/** The demo's data set (emulator/seed.ts, as `npm run demo` uses it): its repository and environment hold the pair. */
export async function startDemoScenario(options: EmulatorOptions = {}): Promise<Scenario> {
  const emu = await startEmulator(options)
  const seed = seedDemo(emu)
  // invariantViolations() looks for orphans in ORG.
  if (seed.organization !== ORG)
    throw new Error(`the demo seeds organization ${seed.organization}, the harness checks ${ORG}`)
  const targets = [`repo:${seed.repository}`, `environment:${seed.repository}/${seed.environment}`]
  for (const scope of targets) {
    emu.github.putSecretPlain(scope, ID_NAME, seed.token.id)
    emu.github.putSecretPlain(scope, TOKEN_NAME, seed.token.token)
  }
  return {
    emu,
    token: seed.token,
    githubToken: seed.githubToken,
    targets,
    originalAccessSet: emu.planetscale.accessSet(seed.token.id),
    tokensBefore: new Set(emu.planetscale.tokens(seed.organization).map((t) => t.id)),
    inputs: {
      organization: seed.organization,
      'service-token-id': seed.token.id,
      'service-token': seed.token.token,
      'github-token': seed.githubToken,
      targets: targets.join('\n'),
      ttl: '30d',
      'planetscale-api-url': emu.planetscaleUrl,
      'github-api-url': emu.githubUrl
    },
    env: { ...FAST_ENV, GITHUB_REPOSITORY: seed.repository },
    secrets: () => [...emu.planetscale.tokenSecrets(), seed.githubToken],
    journal: { scope: `repo:${seed.repository}`, name: JOURNAL.name }
  }
}
