// Scenarios for the end-to-end tests: an emulator seeded with a self-rotating token whose pair the
// targets hold, and the contract's invariants checked from the emulator's state.
import { startEmulator } from '../../emulator/index.js'
export { BUNDLE, findLeaks, parseOutputFile, runAction, type ActionRun, type RunOptions } from '../../scripts/lib/run-bundle.js'

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
  /** Tuning for tests: short write spacing, retry waits and timeouts (see src/tuning.ts). */
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

export const TARGET_SETS = {
  one: ['repo:acme/api'],
  three: ['repo:acme/api', 'environment:acme/api/production', 'org:acme'],
  all: ['repo:acme/api', 'environment:acme/api/production', 'org:acme', 'dependabot:acme/api', 'dependabot-org:acme']
} as const

/** Seeds an organization, a self-rotating management token and targets that hold its pair. */
export async function startScenario(
  options: { targets?: readonly string[]; emulator?: Parameters<typeof startEmulator>[0]; ttlSeconds?: number; createdAt?: Date } = {}
): Promise<Scenario> {
  const emu = await startEmulator(options.emulator ?? {})
  emu.planetscale.addOrganization(ORG, { databases: ['app-db', 'analytics'] })
  const token = emu.planetscale.addToken(ORG, {
    name: 'github-actions/acme/api/seed',
    ttlSeconds: options.ttlSeconds,
    createdAt: options.createdAt,
    accesses: [
      { organization: true, access: [...MANAGEMENT, 'read_databases'] },
      { database: 'app-db', access: ['read_branch', 'create_deploy_request', 'connect_branch'] },
      { database: 'analytics', access: ['read_branch'] }
    ]
  })
  emu.github.addOrganization(ORG)
  emu.github.addRepository('acme/api', { environments: ['production', 'staging'] })
  emu.github.addRepository('acme/web', {})
  const githubToken = 'ghs_emulatorAppInstallationToken0001'
  emu.github.addToken(githubToken, { scopes: 'all' })
  const targets = [...(options.targets ?? TARGET_SETS.one)]
  for (const scope of targets) {
    emu.github.putSecretPlain(scope, ID_NAME, token.id, scope.startsWith('org:') || scope.startsWith('dependabot-org:') ? { visibility: 'private' } : {})
    emu.github.putSecretPlain(scope, TOKEN_NAME, token.token, scope.startsWith('org:') || scope.startsWith('dependabot-org:') ? { visibility: 'private' } : {})
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
    if (!emu.planetscale.authenticates({ id, token })) problems.push(`${scope}: the stored pair (${id}) does not authenticate: locked out`)
    else if (emu.planetscale.accessSet(id).join() !== s.originalAccessSet.join()) problems.push(`${scope}: the stored token ${id} lacks the original accesses`)
  }
  if (!emu.planetscale.isAlive(s.token.id) && !allNew) problems.push('the old token was deleted while a target still depends on it')
  for (const t of emu.planetscale.tokens(ORG)) {
    if (!s.tokensBefore.has(t.id) && !used.has(t.id)) problems.push(`orphan: token ${t.id} was created by the run and no target uses it`)
  }
  return problems
}
