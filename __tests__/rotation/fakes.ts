// In-memory fakes for the rotation protocol's ports (src/rotation/ports.ts): PlanetScale, GitHub
// secrets, a recording logger and a virtual clock. No HTTP, no timers: a run takes milliseconds.
import { randomBytes } from 'node:crypto'
import { GitHubTargetError, PlanetScaleError } from '../../src/errors.js'
import {
  findShadowing,
  type OrgReach,
  type Page,
  type RepoRef,
  type SecretEntry,
  type ShadowCheck,
  type ShadowReader
} from '../../src/github/shadowing.js'
import type { PreparedTarget, SecretsApi } from '../../src/github/types.js'
import { parseTargets, type TargetSpec } from '../../src/inputs/targets.js'
import type {
  CreatedToken,
  Credentials,
  Grant,
  PlanetScaleApi,
  ServiceToken,
  TokenAccess
} from '../../src/planetscale/types.js'
import { createWritePacer } from '../../src/rotation/5-write-pacer.js'
import type { Logger, ProtocolDeps, Sleep } from '../../src/rotation/ports.js'
import { parseJournal, serializeJournal, type JournalState, type JournalStore } from '../../src/rotation/0-journal.js'
import type { CreateConfig, RotateConfig } from '../../src/rotation/protocol.js'

export const ORG = 'acme'
export const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
export const NOW = '2026-01-11T00:00:00.000Z'
export const DAY_MS = 86_400_000

/** A token value: the prefix, then 40 random hex digits. */
export const tokenValue = (prefix = 'pscale_tkn_'): string => `${prefix}${randomBytes(20).toString('hex')}`

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Lets every promise chain that is not waiting on I/O run to its end (the fakes do no I/O). */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

// PlanetScale

export interface FakeToken {
  id: string
  name: string
  secret: string
  created_at: string
  expires_at: string | null
  accesses: TokenAccess[]
  deleted: boolean
  /** Made by createToken (not seeded). */
  created: boolean
  /** Set on each authenticated request when `trackUse` is on, as PlanetScale does. */
  last_used_at: string | null
}

export type Operation = keyof PlanetScaleApi
/** One request: `by` is the ID of the credentials it was sent with; `arg` the token ID or the options. */
export interface Call {
  op: Operation
  by: string
  arg: unknown
}
export interface HookOptions {
  /** How many matching calls the hook runs for. */
  times?: number
  when?: (call: Call) => boolean
}
interface Hook extends Required<HookOptions> {
  op: Operation
  run(call: Call): void | Promise<void>
}

export function planetscaleError(step: string, status: number | undefined): PlanetScaleError {
  const what = status === undefined ? 'no answer (socket hang up)' : `HTTP ${status}`
  return new PlanetScaleError(`PlanetScale ${step} in organization "${ORG}" failed: ${what}.`, step, status)
}

function accessesOf(grant: Grant): TokenAccess[] {
  return grant.access.map((access) =>
    grant.database === ''
      ? { access, resource_type: 'Organization', resource_name: ORG }
      : { access, resource_type: 'Database', resource_name: grant.database, resource: { name: grant.database } }
  )
}

export class FakePlanetScale {
  readonly tokens = new Map<string, FakeToken>()
  readonly calls: Call[] = []
  /** Successful deletes: which token, with whose credentials. */
  readonly deletions: Array<{ id: string; by: string }> = []
  /**
   * Record `last_used_at` on every authenticated request, as PlanetScale (and the emulator) do.
   * Off by default: the one-run tests predate it, and the action warns about recent use.
   */
  trackUse = false
  /** What `GET /organizations` answers. */
  organizations: string[] = [ORG]
  private readonly hooks: Hook[] = []
  private count = 0

  constructor(
    private readonly now: () => Date,
    private readonly prefix = 'pscale_tkn_'
  ) {}

  /** Adds a token made before the run; returns its credentials. */
  seed(id: string, grants: Grant[], fields: Partial<FakeToken> = {}): Credentials {
    const token: FakeToken = {
      id,
      name: `seeded/${id}`,
      secret: tokenValue(this.prefix),
      created_at: this.now().toISOString(),
      expires_at: null,
      accesses: grants.flatMap(accessesOf),
      deleted: false,
      created: false,
      last_used_at: null,
      ...fields
    }
    this.tokens.set(id, token)
    return { id, token: token.secret }
  }

  /** Runs `run` before matching calls of `op` (after authentication); a throw fails the call. */
  before(op: Operation, run: Hook['run'], { times = 1, when = () => true }: HookOptions = {}): void {
    this.hooks.push({ op, run, times, when })
  }

  fail(op: Operation, error: Error, options: HookOptions = {}): void {
    this.before(
      op,
      () => {
        throw error
      },
      options
    )
  }

  token(id: string): FakeToken {
    const token = this.tokens.get(id)
    if (!token) throw new Error(`no token ${id} in the fake`)
    return token
  }

  alive(id: string): boolean {
    return this.tokens.get(id)?.deleted === false
  }

  /** The tokens createToken made, in order. */
  created(): FakeToken[] {
    return [...this.tokens.values()].filter((t) => t.created)
  }

  /** `organization:perm` / `database:name:perm`, sorted. */
  accessKeys(id: string): string[] {
    const key = (a: TokenAccess) =>
      a.resource_type === 'Organization' ? `organization:${a.access}` : `database:${a.resource_name}:${a.access}`
    return this.token(id).accesses.map(key).sort()
  }

  /** Every token value the fake ever handed out. */
  secrets(): string[] {
    return [...this.tokens.values()].map((t) => t.secret)
  }

  /** A client authenticated as `credentials`: every call fails with 401 unless they name a live token. */
  as(credentials: Credentials): PlanetScaleApi {
    const call = async <T>(op: Operation, arg: unknown, answer: () => T): Promise<T> => {
      const record: Call = { op, by: credentials.id, arg }
      this.calls.push(record)
      await Promise.resolve()
      const self = this.tokens.get(credentials.id)
      if (!self || self.deleted || self.secret !== credentials.token) throw planetscaleError(op, 401)
      if (this.trackUse) self.last_used_at = this.now().toISOString()
      for (const hook of this.hooks.filter((h) => h.op === op && h.times > 0 && h.when(record))) {
        hook.times--
        await hook.run(record)
      }
      return answer()
    }
    const live = (id: string, step: string): FakeToken => {
      const token = this.tokens.get(id)
      if (!token || token.deleted) throw planetscaleError(`${step} ${id}`, 404)
      return token
    }
    return {
      listOrganizations: () => call('listOrganizations', undefined, () => [...this.organizations]),
      listTokens: () =>
        call('listTokens', undefined, () => [...this.tokens.values()].filter((t) => !t.deleted).map(record)),
      getToken: (id) => call('getToken', id, () => record(live(id, 'read token'))),
      createToken: (options) => call('createToken', options, () => this.create(options)),
      grantAccess: (id, grant) =>
        call('grantAccess', { id, grant }, () => {
          const token = live(id, 'grant access to token')
          const have = new Set(this.accessKeys(id))
          for (const access of accessesOf(grant)) {
            const key =
              grant.database === '' ? `organization:${access.access}` : `database:${grant.database}:${access.access}`
            if (!have.has(key)) token.accesses.push(access)
          }
        }),
      deleteToken: (id) =>
        call('deleteToken', id, () => {
          const token = this.tokens.get(id)
          if (!token || token.deleted) return 'already-deleted' as const
          token.deleted = true
          this.deletions.push({ id, by: credentials.id })
          return 'deleted' as const
        })
    }
  }

  private create(options: { name?: string; ttlSeconds?: number }): CreatedToken {
    const now = this.now()
    const id = `newid${String(++this.count).padStart(7, '0')}`
    const expires =
      options.ttlSeconds === undefined ? null : new Date(now.getTime() + options.ttlSeconds * 1000).toISOString()
    const token: FakeToken = {
      id,
      name: options.name ?? '',
      secret: tokenValue(this.prefix),
      created_at: now.toISOString(),
      expires_at: expires,
      accesses: [],
      deleted: false,
      created: true,
      last_used_at: null
    }
    this.tokens.set(id, token)
    return { ...record(token), token: token.secret }
  }
}

function record(token: FakeToken): ServiceToken {
  const { id, name, created_at, expires_at, last_used_at } = token
  return {
    id,
    name,
    created_at,
    expires_at,
    last_used_at,
    service_token_accesses: token.accesses.map((a) => ({ ...a }))
  }
}

// GitHub secrets

/** A failed write as src/github/errors.ts reports it; `status` undefined: GitHub did not answer. */
export function writeError(target: string, name: string, status: number | undefined): GitHubTargetError {
  const step = `write secret ${name}`
  const what = status === undefined ? ': GitHub did not answer (socket hang up).' : ` (HTTP ${status}).`
  return new GitHubTargetError(`${target}: ${step} failed${what}`, target, step, status)
}

export interface Write {
  target: string
  name: string
  value: string
  /** `landed`: GitHub stored the value, then the answer was an error. */
  result: 'stored' | 'failed' | 'landed'
}

export interface WriteFault {
  /** The error thrown; by default writeError(target, name, status). */
  error?: Error
  /** 4xx: refused for certain; 5xx or undefined (no answer): uncertain. */
  status?: number
  /** The first failing write of this secret on this target, 1-based. */
  nth?: number
  times?: number
  /** Store the value, then fail. */
  lands?: boolean
  /** Never answer (the runner killed the process while the request was in flight); with `lands`, stored first. */
  hangs?: boolean
}

export class FakeSecrets implements SecretsApi {
  /**
   * target label → secret name → value. Other scopes' secrets too (e.g. an environment that is not a
   * target): the check for shadowed copies lists their names; an `environment:` key makes it exist.
   */
  readonly stored = new Map<string, Map<string, string>>()
  readonly writes: Write[] = []
  /** Lists the check for shadowed copies may not read (answered 403), by scope label or `environments:OWNER/REPO`. */
  readonly unreadable = new Set<string>()
  /** What each `org:` target's secrets reach; default: visibility private. */
  orgReach: OrgReach = { kind: 'unlisted', visibility: 'private' }
  /** Lists the check for shadowed copies read, one entry per page. */
  readonly listings: string[] = []
  private readonly faults: Array<{
    target: string
    name: string
    from: number
    to: number
    error: Error
    lands: boolean
    hangs: boolean
  }> = []
  private hung = deferred()

  seed(target: string, values: Record<string, string>): void {
    this.stored.set(target, new Map(Object.entries(values)))
  }

  failWrite(target: string, name: string, fault: WriteFault = {}): void {
    const { nth = 1, times = 1, lands = false, hangs = false } = fault
    const error = fault.error ?? writeError(target, name, fault.status)
    this.faults.push({ target, name, from: nth, to: nth + times, error, lands, hangs })
  }

  /** Resolves once a write has hung, and every write that was not stuck behind it has settled. */
  async whenHung(): Promise<void> {
    await this.hung.promise
    await settled()
  }

  /** What the target holds. */
  pair(target: string): { id: string | undefined; token: string | undefined } {
    const secrets = this.stored.get(target)
    return { id: secrets?.get(ID_NAME), token: secrets?.get(TOKEN_NAME) }
  }

  /** The values sent for one secret of one target, in order, whatever the answer. */
  sent(target: string, name: string): string[] {
    return this.writes.filter((w) => w.target === target && w.name === name).map((w) => w.value)
  }

  prepare(spec: TargetSpec): Promise<PreparedTarget> {
    return Promise.resolve({ spec, writeSecret: (name: string, value: string) => this.write(spec.label, name, value) })
  }

  findShadowedCopies(targets: readonly TargetSpec[], secretNames: readonly string[]): Promise<ShadowCheck> {
    const reaches = new Map(targets.filter((t) => t.kind === 'org').map((t) => [t.label, () => this.orgReach]))
    return findShadowing(this.reader(), targets, secretNames, reaches)
  }

  /** The three lists, read from `stored` (every secret reads as last written at NOW: the fake keeps no times). */
  private reader(): ShadowReader {
    const list = <T>(key: string, items: T[]): Promise<Page<T>> => {
      this.listings.push(key)
      // Shaped like Octokit's RequestError, as src/github/errors.ts reads it.
      const refused = Object.assign(new Error('Resource not accessible by integration'), {
        status: 403,
        response: { headers: {}, data: { message: 'Resource not accessible by integration' } }
      })
      if (this.unreadable.has(key)) return Promise.reject(refused)
      return Promise.resolve({ totalCount: items.length, items })
    }
    const entries = (label: string): SecretEntry[] =>
      [...(this.stored.get(label)?.keys() ?? [])].map((name) => ({ name, updatedAt: NOW }))
    const repoName = (r: RepoRef) => `${r.owner}/${r.repo}`
    return {
      listEnvironments: (repo) => {
        const prefix = `environment:${repoName(repo)}/`.toLowerCase()
        const environments = [...this.stored.keys()]
          .filter((label) => label.toLowerCase().startsWith(prefix))
          .map((label) => label.slice(prefix.length))
        return list(`environments:${repoName(repo)}`, environments)
      },
      listRepoSecrets: (repo) => list(`repo:${repoName(repo)}`, entries(`repo:${repoName(repo)}`)),
      listEnvironmentSecrets: (repo, environment) => {
        const label = `environment:${repoName(repo)}/${environment}`
        return list(label, entries(label))
      }
    }
  }

  private async write(target: string, name: string, value: string): Promise<'created' | 'updated'> {
    await Promise.resolve()
    const n = this.sent(target, name).length + 1
    const fault = this.faults.find((f) => f.target === target && f.name === name && n >= f.from && n < f.to)
    const secrets = this.stored.get(target) ?? new Map<string, string>()
    this.stored.set(target, secrets)
    const existed = secrets.has(name)
    if (!fault || fault.lands) secrets.set(name, value)
    this.writes.push({ target, name, value, result: !fault ? 'stored' : fault.lands ? 'landed' : 'failed' })
    if (fault?.hangs) {
      this.hung.resolve()
      return new Promise<never>(() => {})
    }
    if (fault) throw fault.error
    return existed ? 'updated' : 'created'
  }
}

// Logger and clock

export interface RecordingLogger extends Logger {
  lines: Array<{ level: 'info' | 'warning' | 'debug'; message: string }>
  warnings(): string[]
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = []
  return {
    lines,
    info: (message) => lines.push({ level: 'info', message }),
    warning: (message) => lines.push({ level: 'warning', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
    warnings: () => lines.filter((l) => l.level === 'warning').map((l) => l.message)
  }
}

/** Time stands still except in sleep, which returns at once and moves the clock on. */
export interface VirtualClock {
  now(): Date
  sleep: Sleep
  slept: number[]
}

export function virtualClock(start = NOW): VirtualClock {
  let time = Date.parse(start)
  const slept: number[] = []
  return {
    now: () => new Date(time),
    slept,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason as Error)
      slept.push(ms)
      time += ms
      return Promise.resolve()
    }
  }
}

// The journal

/**
 * An Actions variable in memory. `failWrites` makes the next writes throw (after storing, with
 * `landed`); `hangOnWrite` makes the nth write attempt never answer (the run was killed there).
 */
export class FakeJournalStore implements JournalStore {
  readonly label = 'repo:acme/api variable PLANETSCALE_SERVICE_TOKEN_ID_ROTATION'
  value: string | undefined
  /** Successful writes. */
  writes = 0
  /** Every write, whatever its answer. */
  attempts = 0
  reads = 0
  failWrites: { count: number; landed?: boolean } | undefined
  hangOnWrite: number | undefined
  /** Runs before each write (e.g. another run writing in between). */
  beforeWrite: ((store: FakeJournalStore) => void) | undefined
  /** Runs after each successful write. */
  afterWrite: ((store: FakeJournalStore) => void) | undefined
  /** Runs before each read (another run writing between this run's write and its re-read). */
  beforeRead: ((store: FakeJournalStore) => void) | undefined
  /** Every value written, in order. */
  readonly history: string[] = []
  private hung = deferred()

  read(): Promise<string | undefined> {
    this.reads++
    this.beforeRead?.(this)
    return Promise.resolve(this.value)
  }

  write(value: string): Promise<void> {
    this.attempts++
    this.beforeWrite?.(this)
    if (this.attempts === this.hangOnWrite) {
      this.hung.resolve()
      return new Promise<never>(() => {})
    }
    const failing = this.failWrites
    if (failing && failing.count > 0) {
      failing.count--
      if (failing.landed) this.value = value
      return Promise.reject(
        new GitHubTargetError(
          'repo:acme/api: write the journal failed (HTTP 500)',
          'repo:acme/api',
          'write the journal',
          500
        )
      )
    }
    this.value = value
    this.history.push(value)
    this.writes++
    this.afterWrite?.(this)
    return Promise.resolve()
  }

  get state(): JournalState {
    return parseJournal(this.value, this.label)
  }

  /** Writes a state as another run would (not counted as this run's write). */
  put(state: JournalState): void {
    this.value = serializeJournal(state)
  }

  /** Resolves once a write has hung, and everything not stuck behind it has settled. */
  async whenHung(): Promise<void> {
    await this.hung.promise
    await settled()
  }
}

// Wiring

export interface Fakes {
  ps: FakePlanetScale
  secrets: FakeSecrets
  log: RecordingLogger
  clock: VirtualClock
  cancel: AbortController
}

export function fakes({ prefix = 'pscale_tkn_' } = {}): Fakes {
  const clock = virtualClock()
  return {
    ps: new FakePlanetScale(clock.now, prefix),
    secrets: new FakeSecrets(),
    log: recordingLogger(),
    clock,
    cancel: new AbortController()
  }
}

/** Everything the protocol needs, acting as `credentials`. */
export function deps(f: Fakes, credentials: Credentials, overrides: Partial<ProtocolDeps> = {}): ProtocolDeps {
  return {
    planetscale: f.ps.as(credentials),
    planetscaleAs: (other) => f.ps.as(other),
    secrets: f.secrets,
    log: f.log,
    now: () => f.clock.now(),
    sleep: f.clock.sleep,
    cancel: f.cancel.signal,
    pacer: createWritePacer({ spacingMs: 0 }),
    writeSpacingMs: 0,
    journal: undefined,
    githubTokenExpiresAt: () => undefined,
    writeConcurrency: 2,
    verifyTimeoutMs: 1000,
    cancelGraceMs: 10,
    ...overrides
  }
}

export const targets = (...labels: string[]): TargetSpec[] => parseTargets(labels.join('\n'))

export function createConfig(credentials: Credentials, overrides: Partial<CreateConfig> = {}): CreateConfig {
  return {
    organization: ORG,
    credentials,
    targets: targets('repo:acme/api'),
    idSecretName: ID_NAME,
    tokenSecretName: TOKEN_NAME,
    tokenName: 'github-actions/acme/api/2026-01-11',
    accesses: undefined,
    ttl: { kind: 'keep' },
    dryRun: false,
    deletePrevious: { kind: 'now' },
    runId: '100/1',
    ...overrides
  }
}

/** Self-rotation by default (tokenId = credentials.id). */
export function rotateConfig(credentials: Credentials, overrides: Partial<RotateConfig> = {}): RotateConfig {
  return { ...createConfig(credentials), tokenId: credentials.id, minAgeSeconds: 0, ...overrides }
}

// Scenarios

export const OLD_ID = 'oldid000001'
export const ADMIN_ID = 'adminid0001'
/** What a self-rotating token holds: the service-token accesses plus a database. */
export const SELF_GRANTS: Grant[] = [
  { database: '', access: ['delete_service_tokens', 'read_service_tokens', 'write_service_tokens'] },
  { database: 'app-db', access: ['connect_branch', 'read_branch'] }
]
/** An application's token: database accesses only. */
export const APP_GRANTS: Grant[] = [{ database: 'app-db', access: ['connect_branch', 'read_branch'] }]
/** The old token: 10 days old, a 90-day lifetime. */
export const OLD_TIMES = { created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-04-01T00:00:00.000Z' }

export interface Scenario extends Fakes {
  /** The action's own credentials. */
  action: Credentials
  /** The token every target holds before the run (= action in self-rotation). */
  old: Credentials
  config: RotateConfig
  deps: ProtocolDeps
}

export interface ScenarioOptions {
  targets?: string[]
  /** self: the action rotates its own token; other: an admin token rotates OLD_ID. */
  rotating?: 'self' | 'other'
  /** The old token's accesses. */
  grants?: Grant[]
  prefix?: string
}

/** The old token in PlanetScale and its pair in every target. */
export function scenario(options: ScenarioOptions = {}): Scenario {
  const { rotating = 'self', prefix } = options
  const f = fakes({ prefix })
  const grants = options.grants ?? (rotating === 'self' ? SELF_GRANTS : APP_GRANTS)
  const old = f.ps.seed(OLD_ID, grants, OLD_TIMES)
  const action = rotating === 'self' ? old : f.ps.seed(ADMIN_ID, [...SELF_GRANTS], OLD_TIMES)
  const labels = options.targets ?? ['repo:acme/api']
  for (const label of labels) f.secrets.seed(label, { [ID_NAME]: old.id, [TOKEN_NAME]: old.token })
  return {
    ...f,
    action,
    old,
    config: rotateConfig(action, { tokenId: old.id, targets: targets(...labels) }),
    deps: deps(f, action)
  }
}

// Secrecy

/** Every run of 16 characters of a value: a token cut short still leaks. */
export function fragments(secret: string): string[] {
  return Array.from({ length: Math.max(1, secret.length - 15) }, (_, i) => secret.slice(i, i + 16))
}

/** The token values the fake issued that appear, whole or in part, in any of `texts`. */
export function leaks(f: Pick<Fakes, 'ps'>, texts: readonly string[]): string[] {
  const secrets = f.ps.secrets()
  if (secrets.length === 0) throw new Error('the fake issued no token value: nothing to look for')
  return secrets.filter((secret) => fragments(secret).some((part) => texts.some((text) => text.includes(part))))
}
