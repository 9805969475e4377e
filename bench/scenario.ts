// An emulator seeded for one benchmark run: organization `acme`, a self-rotating management
// token, and N targets that each hold its pair. Same shape as __tests__/e2e/harness.ts's
// startScenario, but with as many repositories as a scenario needs.
import { startEmulator, type EmulatorOptions } from '../emulator/index.js'

export type Emulator = Awaited<ReturnType<typeof startEmulator>>

export const ORG = 'acme'
export const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
const GITHUB_TOKEN = 'ghs_emulatorBenchInstallationToken01'

/** `count` repository targets, acme/svc-001 … */
export function repoTargets(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `repo:${ORG}/svc-${String(i + 1).padStart(3, '0')}`)
}

/** One of each kind the issue names: a repository, three environments, the organization, Dependabot. */
export const MIXED_TARGETS = [
  `repo:${ORG}/api`,
  `environment:${ORG}/api/production`,
  `environment:${ORG}/api/staging`,
  `environment:${ORG}/api/qa`,
  `org:${ORG}`,
  `dependabot:${ORG}/api`
]

export interface BenchScenario {
  emu: Emulator
  token: { id: string; token: string }
  githubToken: string
  targets: string[]
  /** The action's inputs (self-rotation of the seeded token into every target). */
  inputs: Record<string, string>
  /** Every secret the run may print by mistake (for the leak scan). */
  secrets(): string[]
}

export async function startBenchScenario(
  targets: readonly string[],
  emulator: EmulatorOptions
): Promise<BenchScenario> {
  const emu = await startEmulator(emulator)
  emu.planetscale.addOrganization(ORG, { databases: ['app-db', 'analytics'] })
  const token = emu.planetscale.addToken(ORG, {
    name: 'github-actions/acme/api/seed',
    accesses: [
      {
        organization: true,
        access: ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens', 'read_databases']
      },
      { database: 'app-db', access: ['read_branch', 'create_deploy_request', 'connect_branch'] },
      { database: 'analytics', access: ['read_branch'] }
    ]
  })
  emu.github.addOrganization(ORG)
  for (const target of targets) addScope(emu, target)
  emu.github.addToken(GITHUB_TOKEN, { scopes: 'all' })
  for (const scope of targets) {
    const options = isOrgScope(scope) ? { visibility: 'private' as const } : {}
    emu.github.putSecretPlain(scope, ID_NAME, token.id, options)
    emu.github.putSecretPlain(scope, TOKEN_NAME, token.token, options)
  }
  return {
    emu,
    token,
    githubToken: GITHUB_TOKEN,
    targets: [...targets],
    inputs: {
      organization: ORG,
      'service-token-id': token.id,
      'service-token': token.token,
      'github-token': GITHUB_TOKEN,
      targets: targets.join('\n'),
      'planetscale-api-url': emu.planetscaleUrl,
      'github-api-url': emu.githubUrl
    },
    secrets: () => [...emu.planetscale.tokenSecrets(), GITHUB_TOKEN]
  }
}

export function isOrgScope(scope: string): boolean {
  return scope.startsWith('org:') || scope.startsWith('dependabot-org:')
}

/** Creates the repository (and environment) a target line needs. */
function addScope(emu: Emulator, target: string): void {
  const [kind, rest = ''] = splitOnce(target, ':')
  const parts = rest.split('/')
  if (kind === 'repo' || kind === 'dependabot') emu.github.addRepository(`${parts[0]}/${parts[1]}`)
  else if (kind === 'environment')
    emu.github.addRepository(`${parts[0]}/${parts[1]}`, { environments: [parts.slice(2).join('/')] })
  else if (kind !== 'org' && kind !== 'dependabot-org') throw new Error(`bench: unknown target kind in ${target}`)
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator)
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)]
}

/** Every target holds a pair that authenticates and is not the seeded one: the run really rotated. */
export function rotationProblems(s: BenchScenario): string[] {
  const problems: string[] = []
  for (const scope of s.targets) {
    const id = s.emu.github.secret(scope, ID_NAME)?.value
    const token = s.emu.github.secret(scope, TOKEN_NAME)?.value
    if (!id || !token) problems.push(`${scope}: a secret is missing`)
    else if (id === s.token.id) problems.push(`${scope}: still holds the old pair`)
    else if (!s.emu.planetscale.authenticates({ id, token })) problems.push(`${scope}: its pair does not authenticate`)
  }
  if (s.emu.planetscale.isAlive(s.token.id)) problems.push('the old token is still alive')
  return problems
}
