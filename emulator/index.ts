// In-process emulator of PlanetScale's service-token API and GitHub's secrets and Actions-variables API,
// each on its own loopback server. Tests, the demo and the benchmark drive it from here.
import sodium from 'libsodium-wrappers'
import { Control } from './control.js'
import { GitHubHandler } from './github/handler.js'
import { RateLimits, type GitHubLimitSettings } from './github/limits.js'
import {
  GitHubState,
  type GitHubTokenOptions,
  type SecretView,
  type VariableView,
  type Visibility
} from './github/state.js'
import { PlanetScaleHandler } from './planetscale/handler.js'
import { PlanetScaleState, type AccessSpec, type PlanetScaleSettings, type TokenInfo } from './planetscale/state.js'
import { ApiServer, type TlsOptions } from './server.js'
import type { Concurrency, FaultRule, HeldRequest, HoldRule, LatencySettings, LogEntry } from './types.js'

export type { AccessSpec, PlanetScaleSettings, TokenInfo } from './planetscale/state.js'
export type { GitHubLimitSettings } from './github/limits.js'
export type { GitHubTokenOptions, SecretView, VariableView, Visibility } from './github/state.js'
export type * from './types.js'
export { seedDemo, type DemoSeed } from './seed.js'
export type { TlsOptions } from './server.js'
export { testCertificates, type TestCertificates } from './tls.js'
export { startConnectProxy, type ConnectProxy } from './proxy.js'

export interface EmulatorOptions {
  /** Added to every response of both APIs, in ms (default 0). */
  latencyMs?: number
  planetscale?: Partial<PlanetScaleSettings> & { port?: number }
  github?: Partial<GitHubLimitSettings> & { port?: number }
  /** Epoch ms; drives expiry, propagation delays, timestamps and rate-limit windows. Default Date.now. */
  clock?: () => number
  /** Called with every log entry as it is recorded (the CLI's --verbose). */
  onRequest?: (entry: LogEntry) => void
  /** Serve both APIs over HTTPS with this certificate, under its host name (see emulator/tls.ts). */
  tls?: TlsOptions
}

export interface PlanetScaleControls {
  addOrganization(name: string, options?: { databases?: string[] }): void
  addDatabase(organization: string, name: string): void
  /** Marks it deleted: accesses on it stay, with `resource.deleted_at` set. */
  deleteDatabase(organization: string, name: string): void
  addToken(
    organization: string,
    options: { name?: string; ttlSeconds?: number; createdAt?: Date; lastUsedAt?: Date; accesses: AccessSpec[] }
  ): { id: string; token: string }
  /** Exists, not deleted, not expired, secret matches. */
  authenticates(credentials: { id: string; token: string }): boolean
  /** Sorted 'organization:<access>' / 'database:<db>:<access>'; pending grants included, deleted databases left out. */
  accessSet(id: string): string[]
  /** Alive (not deleted, not expired) tokens, oldest first, without secrets. */
  tokens(organization: string): TokenInfo[]
  /** Any token ever created, deleted ones included. */
  token(id: string): TokenInfo | undefined
  /** Every secret value ever issued (for leak scans). */
  tokenSecrets(): string[]
  isAlive(id: string): boolean
  /** Deletes a token behind the action's back. */
  deleteToken(id: string): boolean
  readonly selfDeletions: string[]
  configure(settings: Partial<PlanetScaleSettings>): void
  readonly settings: Readonly<PlanetScaleSettings>
  readonly concurrency: Concurrency
}

export interface GitHubControls {
  addRepository(fullName: string, options?: { environments?: string[] }): number
  addEnvironment(fullName: string, environment: string): void
  addOrganization(name: string): void
  /** `scopes`: scope keys it may read and write, or 'all'; `readScopes`: scope keys it may only read. */
  addToken(token: string, options: GitHubTokenOptions): void
  removeToken(token: string): void
  /** Refuses the token (401 Bad credentials) from now on. */
  expireToken(token: string): void
  secret(scopeKey: string, name: string): SecretView | undefined
  secrets(scopeKey: string): Record<string, SecretView>
  scopeKeys(): string[]
  putSecretPlain(
    scopeKey: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selectedRepositoryIds?: number[] }
  ): void
  deleteSecret(scopeKey: string, name: string): boolean
  variable(scopeKey: string, name: string): VariableView | undefined
  variables(scopeKey: string): Record<string, VariableView>
  /** Creates or replaces; organization variables default to visibility 'private'. */
  putVariable(
    scopeKey: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selectedRepositoryIds?: number[] }
  ): void
  deleteVariable(scopeKey: string, name: string): boolean
  publicKey(scopeKey: string): { key_id: string; key: string }
  rotateKey(scopeKey: string): void
  /** The numeric ID of a repository, or undefined. */
  repositoryId(fullName: string): number | undefined
  /** false: every Dependabot endpoint answers 404, as on a GitHub Enterprise Server without Dependabot. */
  setDependabot(available: boolean): void
  readonly secondaryLimitHits: number
  configure(settings: Partial<GitHubLimitSettings>): void
  readonly settings: Readonly<GitHubLimitSettings>
  readonly concurrency: Concurrency
}

export interface Snapshot {
  planetscale: Record<
    string,
    { tokens: { id: string; name: string | null; expiresAt: string | null; accesses: string[] }[] }
  >
  /** scope key → secret name → plaintext. */
  github: Record<string, Record<string, string>>
  /** scope key (repo, environment and org scopes) → variable name → value. */
  variables: Record<string, Record<string, string>>
}

export interface Emulator {
  /** http://127.0.0.1:<port>/v1 */
  readonly planetscaleUrl: string
  /** http://127.0.0.1:<port>/api/v3 */
  readonly githubUrl: string
  readonly planetscale: PlanetScaleControls
  readonly github: GitHubControls
  /** Merges into the current settings; `routes` replaces the list. */
  setLatency(settings: LatencySettings): void
  addFault(rule: FaultRule): number
  removeFault(id: number): void
  clearFaults(): void
  /** Holds the rule's nth matching request open (see HoldRule); resolves once it is held. */
  holdAt(rule: HoldRule): Promise<HeldRequest>
  /** Holds the nth request of either API counted from now, whatever its route. */
  holdAtRequest(n: number, phase?: 'before' | 'after'): Promise<HeldRequest>
  /** Drops the held connections (logged as 'hang'); holds not reached yet stay armed. */
  releaseHolds(): void
  /** Completed requests in arrival order. The same array for the emulator's lifetime. */
  readonly log: LogEntry[]
  /** Empties the log and resets both concurrency peaks. */
  clearLog(): void
  snapshot(): Snapshot
  /** Also drops held connections and rejects holds not reached yet. */
  stop(): Promise<void>
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  await sodium.ready
  const clock = options.clock ?? Date.now
  const control = new Control(options.latencyMs ?? 0, options.onRequest)
  const { port: psPort, ...psSettings } = options.planetscale ?? {}
  const { port: ghPort, ...ghSettings } = options.github ?? {}

  const ps = new PlanetScaleState(clock, psSettings)
  const gh = new GitHubState(clock)
  const limits = new RateLimits(clock, ghSettings)
  const psServer = new ApiServer(new PlanetScaleHandler(ps), control, options.tls)
  const ghServer = new ApiServer(new GitHubHandler(gh, limits), control, options.tls)
  let planetscaleUrl: string
  let githubUrl: string
  try {
    planetscaleUrl = await psServer.listen(psPort)
    githubUrl = await ghServer.listen(ghPort)
  } catch (error) {
    await Promise.allSettled([psServer.stop(), ghServer.stop()])
    throw error
  }

  const planetscale: PlanetScaleControls = {
    addOrganization: (name, o) => ps.addOrganization(name, o),
    addDatabase: (org, name) => ps.addDatabase(org, name),
    deleteDatabase: (org, name) => ps.deleteDatabase(org, name),
    addToken: (org, o) => ps.addToken(org, o),
    authenticates: (c) => ps.authenticates(c),
    accessSet: (id) => ps.accessSet(id),
    tokens: (org) => ps.tokens(org),
    token: (id) => ps.token(id),
    tokenSecrets: () => ps.tokenSecrets(),
    isAlive: (id) => ps.isAlive(id),
    deleteToken: (id) => ps.deleteToken(id),
    get selfDeletions() {
      return ps.selfDeletions
    },
    configure: (s) => ps.configure(s),
    get settings() {
      return { ...ps.settings }
    },
    get concurrency() {
      return psServer.concurrency
    }
  }

  const github: GitHubControls = {
    addRepository: (name, o) => gh.addRepository(name, o),
    addEnvironment: (name, env) => gh.addEnvironment(name, env),
    addOrganization: (name) => gh.addOrganization(name),
    addToken: (token, o) => gh.addToken(token, o),
    removeToken: (token) => gh.removeToken(token),
    expireToken: (token) => gh.expireToken(token),
    secret: (scope, name) => gh.secret(scope, name),
    secrets: (scope) => gh.secrets(scope),
    scopeKeys: () => gh.scopeKeys(),
    putSecretPlain: (scope, name, value, o) => gh.putSecretPlain(scope, name, value, o),
    deleteSecret: (scope, name) => gh.deleteSecret(scope, name),
    variable: (scope, name) => gh.variable(scope, name),
    variables: (scope) => gh.variables(scope),
    putVariable: (scope, name, value, o) => gh.putVariable(scope, name, value, o),
    deleteVariable: (scope, name) => gh.deleteVariable(scope, name),
    publicKey: (scope) => gh.publicKey(scope),
    rotateKey: (scope) => gh.rotateKey(scope),
    repositoryId: (fullName) => {
      const [owner = '', repo = ''] = fullName.split('/')
      return gh.repository(owner, repo)?.id
    },
    setDependabot: (available) => {
      gh.dependabot = available
    },
    get secondaryLimitHits() {
      return limits.secondaryHits
    },
    configure: (s) => limits.configure(s),
    get settings() {
      return { ...limits.settings }
    },
    get concurrency() {
      return ghServer.concurrency
    }
  }

  return {
    planetscaleUrl,
    githubUrl,
    planetscale,
    github,
    setLatency: (s) => control.setLatency(s),
    addFault: (rule) => control.addFault(rule),
    removeFault: (id) => control.removeFault(id),
    clearFaults: () => control.clearFaults(),
    holdAt: ({ nth, phase, ...matcher }) => control.addHold(matcher, nth, phase),
    holdAtRequest: (n, phase) => control.addHold(undefined, n, phase),
    releaseHolds: () => {
      psServer.releaseHolds()
      ghServer.releaseHolds()
    },
    log: control.log,
    clearLog: () => {
      control.clearLog()
      psServer.resetPeak()
      ghServer.resetPeak()
    },
    snapshot: () => ({
      planetscale: Object.fromEntries(
        ps.organizations().map((org) => [
          org,
          {
            tokens: ps
              .tokens(org)
              .map((t) => ({ id: t.id, name: t.name, expiresAt: t.expiresAt, accesses: t.accesses }))
          }
        ])
      ),
      github: Object.fromEntries(gh.scopeKeys().map((key) => [key, values(gh.secrets(key))])),
      variables: Object.fromEntries(gh.variableScopeKeys().map((key) => [key, values(gh.variables(key))]))
    }),
    stop: async () => {
      control.disarmHolds('emulator stopped before the hold was reached')
      await Promise.all([psServer.stop(), ghServer.stop()])
    }
  }
}

function values(entries: Record<string, { value: string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).map(([name, e]) => [name, e.value]))
}
