// Scenarios for the end-to-end tests: an emulator seeded with a self-rotating token whose pair the
// targets hold, and the contract's invariants checked from the emulator's state.
import { afterEach } from '@jest/globals'
import { seedDemo, startEmulator, type AccessSpec, type LogEntry } from '../../emulator/index.js'
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

/** The contract's invariants, from emulator state. Returns the violations (empty when all hold). */
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
  for (const t of emu.planetscale.tokens(ORG)) {
    if (!s.tokensBefore.has(t.id) && !used.has(t.id))
      problems.push(`orphan: token ${t.id} was created by the run and no target uses it`)
  }
  return problems
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
export async function startDemoScenario(): Promise<Scenario> {
  const emu = await startEmulator()
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
    secrets: () => [...emu.planetscale.tokenSecrets(), seed.githubToken]
  }
}
