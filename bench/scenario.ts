// An emulator seeded for one benchmark run: organization `acme`, a self-rotating management
// token, and N targets that each hold its pair. Same shape as __tests__/e2e/harness.ts's
// startScenario, but with as many repositories as a scenario needs, and in the state a daily
// schedule with the default `delete-previous` (1h) leaves: the rotation repository's journal
// exists, and the token the previous rotation replaced is past its grace. So a run does what
// every run but the first does: one journal read, and one token deleted (the previous one,
// before create) while its own old token is scheduled.
import { startEmulator, type AccessSpec, type EmulatorOptions } from '../emulator/index.js'
import { emptyJournal, parseJournal, serializeJournal, type JournalState } from '../src/rotation/0-journal.js'

export type Emulator = Awaited<ReturnType<typeof startEmulator>>

export const ORG = 'acme'
export const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
const GITHUB_TOKEN = 'ghs_emulatorBenchInstallationToken01'
/** GITHUB_REPOSITORY of the runs: the default journal's home. */
export const ROTATION_REPO = `${ORG}/api`
export const JOURNAL_NAME = `${ID_NAME}_ROTATION`
const JOURNAL_SCOPE = `repo:${ROTATION_REPO}`

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
  /** The token the previous rotation replaced, due for deletion. */
  previous: { id: string }
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
  const accesses: AccessSpec[] = [
    {
      organization: true,
      access: ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens', 'read_databases']
    },
    { database: 'app-db', access: ['read_branch', 'create_deploy_request', 'connect_branch'] },
    { database: 'analytics', access: ['read_branch'] }
  ]
  const day = 24 * 3600_000
  const previous = emu.planetscale.addToken(ORG, {
    name: 'github-actions/acme/api/previous',
    createdAt: new Date(Date.now() - 2 * day),
    accesses
  })
  const token = emu.planetscale.addToken(ORG, {
    name: 'github-actions/acme/api/seed',
    createdAt: new Date(Date.now() - day),
    accesses
  })
  emu.github.addOrganization(ORG)
  emu.github.addRepository(ROTATION_REPO)
  // As yesterday's rotation left it: `token` current, `previous` replaced then and retiring an hour later.
  // Built with the action's own journal types, so that a change of its format fails to compile here.
  const replacedAt = Date.now() - day
  const journal: JournalState = {
    ...emptyJournal(),
    line: previous.id,
    current: token.id,
    retiring: [
      {
        id: previous.id,
        after: new Date(replacedAt + 3600_000).toISOString(),
        replacedAt: new Date(replacedAt).toISOString()
      }
    ]
  }
  emu.github.putVariable(JOURNAL_SCOPE, JOURNAL_NAME, serializeJournal(journal))
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
    previous: { id: previous.id },
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

/** The journal as the run left it; undefined when it cannot be read. */
export function journalText(s: BenchScenario): string | undefined {
  return s.emu.github.variable(JOURNAL_SCOPE, JOURNAL_NAME)?.value
}

/**
 * Every target holds a pair that authenticates and is not the seeded one: the run really rotated. The action
 * (default `delete-previous`) also deleted the previous rotation's token, kept the old one, scheduled it in
 * the journal, and closed its rotation there; the baseline deleted the old token at once.
 */
export function rotationProblems(s: BenchScenario, runner: 'action' | 'baseline'): string[] {
  const problems: string[] = []
  for (const scope of s.targets) {
    const id = s.emu.github.secret(scope, ID_NAME)?.value
    const token = s.emu.github.secret(scope, TOKEN_NAME)?.value
    if (!id || !token) problems.push(`${scope}: a secret is missing`)
    else if (id === s.token.id) problems.push(`${scope}: still holds the old pair`)
    else if (!s.emu.planetscale.authenticates({ id, token })) problems.push(`${scope}: its pair does not authenticate`)
  }
  if (runner === 'baseline') {
    if (s.emu.planetscale.isAlive(s.token.id)) problems.push('the old token is still alive')
    return problems
  }
  if (s.emu.planetscale.isAlive(s.previous.id)) problems.push("the previous rotation's token, due, is still alive")
  if (!s.emu.planetscale.isAlive(s.token.id)) problems.push('the old token was deleted before its grace')
  const journal = readJournal(s)
  const newId = s.emu.github.secret(s.targets[0] ?? '', ID_NAME)?.value
  if (!journal) problems.push('the journal cannot be read')
  else {
    if (journal.open) problems.push('the journal shows the rotation open')
    if (newId && journal.current !== newId) problems.push('the journal does not name the new token as current')
    const after = Date.parse(journal.retiring.find((r) => r.id === s.token.id)?.after ?? '')
    // The default grace is an hour from the end of the writes; the run took minutes at most.
    if (!(after > Date.now() + 50 * 60_000)) problems.push('the journal does not schedule the old token an hour on')
  }
  return problems
}

function readJournal(s: BenchScenario): JournalState | undefined {
  try {
    return parseJournal(journalText(s), JOURNAL_SCOPE)
  } catch {
    return undefined
  }
}
