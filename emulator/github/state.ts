// GitHub's state: repositories, environments, organizations, one X25519 key pair, a secret
// store and an Actions-variable store per scope, and the tokens that may read or write each scope.
import sodium from 'libsodium-wrappers'
import { githubKeyId } from '../ids.js'

export type ScopeKind = 'repo' | 'environment' | 'dependabot' | 'org' | 'dependabot-org'
export type Visibility = 'all' | 'private' | 'selected'

export interface RepoRecord {
  id: number
  owner: string
  name: string
  fullName: string
  /** lower-case name → name as registered (GitHub environment names are case-insensitive). */
  environments: Map<string, string>
  /** lower-case name → when it was added (epoch ms). */
  environmentsCreatedAt: Map<string, number>
}

export interface SecretRecord {
  name: string
  value: string
  createdAt: number
  updatedAt: number
  visibility?: Visibility
  selectedRepositoryIds?: number[]
}

export interface Scope {
  /** e.g. 'environment:acme/api/production' (the action's target label). */
  key: string
  kind: ScopeKind
  /** The organization (org kinds) or the repository's owner. */
  owner: string
  repo?: RepoRecord
  environment?: string
  keyId: string
  publicKey: Uint8Array
  privateKey: Uint8Array
  secrets: Map<string, SecretRecord>
  /** Plain-text Actions variables; always empty for Dependabot scopes, which have none. */
  variables: Map<string, VariableRecord>
}

/** A variable is stored like a secret, except that its value can be read back. */
export type VariableRecord = SecretRecord
export type VariableView = SecretView
export type Store = 'secrets' | 'variables'

export interface TokenGrant {
  all: boolean
  /** Lower-case scope keys the token may read and write. */
  write: Set<string>
  /** Lower-case scope keys the token may only read (public key, secret metadata). */
  read: Set<string>
  /** Lower-case scope keys it may read and write variables in, or 'all' (every scope it can see). */
  variables: 'all' | Set<string>
  /** Epoch ms from which it is refused. */
  expiresAt?: number
  /** Refused once it has been used for this many requests. */
  requestLimit?: number
  requests: number
  expired: boolean
}

export interface GitHubTokenOptions {
  /** Scope keys it may read and write secrets in, or 'all'. */
  scopes: 'all' | string[]
  /** Scope keys it may only read secrets in. */
  readScopes?: string[]
  /**
   * Scope keys (repo:, environment:, org:) it may read and write variables in; 'all': every scope it can see.
   * Default: 'all' with `scopes: 'all'`, else the variable-capable keys of `scopes`.
   */
  variables?: 'all' | 'none' | string[]
  /** Refused from then on; its responses carry github-authentication-token-expiration. */
  expiresAt?: Date
  /** Answers this many requests, then refuses every later one. */
  expiresAfterRequests?: number
}

/** A secret as tests see it: the decrypted plaintext. */
export interface SecretView {
  name: string
  value: string
  createdAt: string
  updatedAt: string
  visibility?: Visibility
  selectedRepositoryIds?: number[]
}

export type Access = { visibility?: Visibility; selectedRepositoryIds?: number[] }

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/
export const MAX_SECRET_BYTES = 48 * 1024

export function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function isOrgKind(kind: ScopeKind): boolean {
  return kind === 'org' || kind === 'dependabot-org'
}

/** Dependabot has secrets only. */
export function hasVariables(kind: ScopeKind): boolean {
  return kind === 'repo' || kind === 'environment' || kind === 'org'
}

const VARIABLE_KEY = /^(repo|environment|org):/i

/** `2026-12-02 07:00:00 UTC`, as GitHub writes github-authentication-token-expiration. */
export function expirationHeader(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC')
}

export function secretLimit(kind: ScopeKind): number {
  return isOrgKind(kind) ? 1000 : 100
}

/** Why a secret (or variable) name is invalid, or undefined. */
export function invalidName(name: string, noun: 'Secret' | 'Variable' = 'Secret'): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return `${noun} names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), and must not start with a number.`
  }
  if (/^GITHUB_/i.test(name)) return `${noun} names must not start with GITHUB_.`
  return undefined
}

/** Why a variable value is refused, or undefined. */
export function invalidVariableValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return `For 'properties/value', it is not a string.`
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) return 'The variable value exceeds the maximum size of 48 KB.'
  return undefined
}

export class GitHubState {
  private readonly repos = new Map<string, RepoRecord>()
  private readonly orgs = new Map<string, string>()
  private readonly scopes = new Map<string, Scope>()
  private readonly grants = new Map<string, TokenGrant>()
  private readonly keyIds = new Set<string>()
  private nextRepoId = 700_000_001
  /** false: every Dependabot endpoint answers 404, as on a GitHub Enterprise Server without Dependabot. */
  dependabot = true

  constructor(private readonly clock: () => number) {}

  // ---- topology ---------------------------------------------------------------------------

  addOrganization(name: string): void {
    if (this.orgs.has(name.toLowerCase())) return
    this.orgs.set(name.toLowerCase(), name)
    this.addScope(`org:${name}`, 'org', name)
    this.addScope(`dependabot-org:${name}`, 'dependabot-org', name)
  }

  /** Idempotent: adding a known repository adds only the missing environments. Returns its ID. */
  addRepository(fullName: string, options: { environments?: string[] } = {}): number {
    const [owner, name, ...rest] = fullName.split('/')
    if (!owner || !name || rest.length > 0) throw new Error(`emulator: repository must be OWNER/REPO, got ${fullName}`)
    let repo = this.repos.get(fullName.toLowerCase())
    if (!repo) {
      repo = { id: this.nextRepoId++, owner, name, fullName, environments: new Map(), environmentsCreatedAt: new Map() }
      this.repos.set(fullName.toLowerCase(), repo)
      this.addScope(`repo:${fullName}`, 'repo', owner, repo)
      this.addScope(`dependabot:${fullName}`, 'dependabot', owner, repo)
    }
    for (const environment of options.environments ?? []) this.addEnvironment(fullName, environment)
    return repo.id
  }

  addEnvironment(fullName: string, environment: string): void {
    const repo = this.repos.get(fullName.toLowerCase())
    if (!repo) throw new Error(`emulator: no repository ${fullName} (addRepository first)`)
    if (repo.environments.has(environment.toLowerCase())) return
    repo.environments.set(environment.toLowerCase(), environment)
    repo.environmentsCreatedAt.set(environment.toLowerCase(), this.clock())
    this.addScope(`environment:${repo.fullName}/${environment}`, 'environment', repo.owner, repo, environment)
  }

  private addScope(key: string, kind: ScopeKind, owner: string, repo?: RepoRecord, environment?: string): void {
    const scope: Scope = {
      key,
      kind,
      owner,
      repo,
      environment,
      secrets: new Map(),
      variables: new Map(),
      ...this.newKey()
    }
    this.scopes.set(key.toLowerCase(), scope)
  }

  private newKey(): Pick<Scope, 'keyId' | 'publicKey' | 'privateKey'> {
    let keyId = githubKeyId()
    while (this.keyIds.has(keyId)) keyId = githubKeyId()
    this.keyIds.add(keyId)
    const pair = sodium.crypto_box_keypair()
    return { keyId, publicKey: pair.publicKey, privateKey: pair.privateKey }
  }

  repository(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase())
  }

  repositoryById(id: number): RepoRecord | undefined {
    return [...this.repos.values()].find((r) => r.id === id)
  }

  organization(name: string): string | undefined {
    return this.orgs.get(name.toLowerCase())
  }

  repositoriesOf(org: string): RepoRecord[] {
    return [...this.repos.values()].filter((r) => r.owner.toLowerCase() === org.toLowerCase())
  }

  /** The scope for a key; repository, environment and organization names are case-insensitive. */
  scope(key: string): Scope | undefined {
    return this.scopes.get(key.toLowerCase())
  }

  private requireScope(key: string): Scope {
    const scope = this.scope(key)
    if (!scope) throw new Error(`emulator: no GitHub scope ${key} (known: ${this.scopeKeys().join(', ')})`)
    return scope
  }

  // ---- tokens -----------------------------------------------------------------------------

  addToken(token: string, options: GitHubTokenOptions): void {
    const lower = (keys: string[] = []) => new Set(keys.map((k) => k.toLowerCase()))
    const { scopes, variables = scopes === 'all' ? 'all' : scopes.filter((k) => VARIABLE_KEY.test(k)) } = options
    if (Array.isArray(variables)) {
      const wrong = variables.filter((k) => !VARIABLE_KEY.test(k))
      if (wrong.length > 0)
        throw new Error(`emulator: no variables in ${wrong.join(', ')} (repo:, environment:, org: only)`)
    }
    const { expiresAt, expiresAfterRequests: limit } = options
    if (expiresAt !== undefined && Number.isNaN(expiresAt.getTime()))
      throw new Error('emulator: expiresAt is an invalid Date')
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new Error(`emulator: expiresAfterRequests must be an integer >= 0, got ${limit}`)
    }
    this.grants.set(token, {
      all: scopes === 'all',
      write: lower(scopes === 'all' ? [] : scopes),
      read: lower(options.readScopes),
      variables: variables === 'all' ? 'all' : lower(variables === 'none' ? [] : variables),
      expiresAt: expiresAt?.getTime(),
      requestLimit: limit,
      requests: 0,
      expired: false
    })
  }

  /** Refuses the token from now on, as when an App installation token expires mid-run. */
  expireToken(token: string): void {
    const grant = this.grants.get(token)
    if (!grant) throw new Error('emulator: expireToken: unknown token')
    grant.expired = true
  }

  /** Counts a request made with the token; false when the token is expired (by time, use or expireToken). */
  admit(grant: TokenGrant): boolean {
    grant.requests++
    if (grant.expiresAt !== undefined && this.clock() >= grant.expiresAt) grant.expired = true
    if (grant.requestLimit !== undefined && grant.requests > grant.requestLimit) grant.expired = true
    return !grant.expired
  }

  removeToken(token: string): void {
    this.grants.delete(token)
  }

  grant(token: string): TokenGrant | undefined {
    return this.grants.get(token)
  }

  /** GitHub answers 404 for a repository a token cannot see. A token with an org scope sees the org's repositories. */
  canSeeRepository(grant: TokenGrant, repo: RepoRecord): boolean {
    if (grant.all) return true
    const full = repo.fullName.toLowerCase()
    const owner = repo.owner.toLowerCase()
    return visibleKeys(grant).some(
      (k) =>
        k === `repo:${full}` ||
        k === `dependabot:${full}` ||
        k.startsWith(`environment:${full}/`) ||
        k === `org:${owner}` ||
        k === `dependabot-org:${owner}`
    )
  }

  canSeeOrganization(grant: TokenGrant, org: string): boolean {
    if (grant.all) return true
    const o = org.toLowerCase()
    return visibleKeys(grant).some(
      (k) =>
        k === `org:${o}` ||
        k === `dependabot-org:${o}` ||
        (/^(repo|dependabot|environment):/.test(k) && k.split(':')[1]?.startsWith(`${o}/`))
    )
  }

  /** 'variables': read or write its variables (GitHub's "Variables" permission covers both here). */
  may(grant: TokenGrant, scope: Scope, need: 'read' | 'write' | 'variables'): boolean {
    const key = scope.key.toLowerCase()
    if (need === 'variables') return grant.variables === 'all' || grant.variables.has(key)
    return grant.all || grant.write.has(key) || (need === 'read' && grant.read.has(key))
  }

  // ---- secrets ------------------------------------------------------------------------------

  /** Decrypts a sealed box with the scope's current key; undefined when it does not open. */
  open(scope: Scope, ciphertext: Uint8Array): string | undefined {
    try {
      const plain = sodium.crypto_box_seal_open(ciphertext, scope.publicKey, scope.privateKey)
      return Buffer.from(plain).toString('utf8')
    } catch {
      return undefined
    }
  }

  /** Creates or replaces `name`; `renamedFrom` (a variable's PATCH) moves that entry, keeping its creation time. */
  store(
    scope: Scope,
    name: string,
    value: string,
    access: Access = {},
    store: Store = 'secrets',
    renamedFrom = name
  ): 'created' | 'updated' {
    const upper = name.toUpperCase()
    const now = this.clock()
    const entries = scope[store]
    const existing = entries.get(renamedFrom.toUpperCase())
    const record: SecretRecord = { name: upper, value, createdAt: existing?.createdAt ?? now, updatedAt: now }
    if (isOrgKind(scope.kind)) {
      record.visibility = access.visibility ?? 'private'
      if (record.visibility === 'selected')
        record.selectedRepositoryIds = [...new Set(access.selectedRepositoryIds ?? [])]
    }
    entries.delete(renamedFrom.toUpperCase())
    entries.set(upper, record)
    return existing ? 'updated' : 'created'
  }

  /** Seeds a secret as if written through the API (validated the same way). */
  putSecretPlain(scopeKey: string, name: string, value: string, access: Access = {}): void {
    const scope = this.requireScope(scopeKey)
    this.checkSeed(scope, invalidName(name), access)
    this.store(scope, name, value, access)
  }

  /** Seeds a variable as if created through the API (validated the same way). */
  putVariable(scopeKey: string, name: string, value: string, access: Access = {}): void {
    const scope = this.requireScope(scopeKey)
    if (!hasVariables(scope.kind)) throw new Error(`emulator: ${scope.key} has no variables`)
    this.checkSeed(scope, invalidName(name, 'Variable') ?? invalidVariableValue(value), access)
    this.store(scope, name, value, access, 'variables')
  }

  private checkSeed(scope: Scope, problem: string | undefined, access: Access): void {
    if (problem) throw new Error(`emulator: ${problem}`)
    if (!isOrgKind(scope.kind) && (access.visibility || access.selectedRepositoryIds)) {
      throw new Error(`emulator: visibility applies to organization scopes only, not ${scope.key}`)
    }
    const unknown = (access.selectedRepositoryIds ?? []).filter(
      (id) => this.repositoryById(id)?.owner.toLowerCase() !== scope.owner.toLowerCase()
    )
    if (unknown.length > 0) throw new Error(`emulator: repository IDs not in ${scope.owner}: ${unknown.join(', ')}`)
  }

  deleteSecret(scopeKey: string, name: string): boolean {
    return this.requireScope(scopeKey).secrets.delete(name.toUpperCase())
  }

  secret(scopeKey: string, name: string): SecretView | undefined {
    const record = this.scope(scopeKey)?.secrets.get(name.toUpperCase())
    return record && view(record)
  }

  secrets(scopeKey: string): Record<string, SecretView> {
    const scope = this.requireScope(scopeKey)
    return Object.fromEntries([...scope.secrets.values()].map((r) => [r.name, view(r)]))
  }

  deleteVariable(scopeKey: string, name: string): boolean {
    return this.requireScope(scopeKey).variables.delete(name.toUpperCase())
  }

  variable(scopeKey: string, name: string): VariableView | undefined {
    const record = this.scope(scopeKey)?.variables.get(name.toUpperCase())
    return record && view(record)
  }

  variables(scopeKey: string): Record<string, VariableView> {
    const scope = this.requireScope(scopeKey)
    return Object.fromEntries([...scope.variables.values()].map((r) => [r.name, view(r)]))
  }

  /** The scopes that can hold variables (every kind but Dependabot's). */
  variableScopeKeys(): string[] {
    return [...this.scopes.values()].filter((s) => hasVariables(s.kind)).map((s) => s.key)
  }

  scopeKeys(): string[] {
    return [...this.scopes.values()].map((s) => s.key)
  }

  publicKey(scopeKey: string): { key_id: string; key: string } {
    const scope = this.requireScope(scopeKey)
    return { key_id: scope.keyId, key: Buffer.from(scope.publicKey).toString('base64') }
  }

  /** Gives the scope a new key pair: secrets sealed for the old key no longer open. */
  rotateKey(scopeKey: string): void {
    Object.assign(this.requireScope(scopeKey), this.newKey())
  }
}

/** Every key that makes a repository or organization visible to the token. */
function visibleKeys(grant: TokenGrant): string[] {
  return [...grant.write, ...grant.read, ...(grant.variables === 'all' ? [] : grant.variables)]
}

function view(r: SecretRecord): SecretView {
  const v: SecretView = {
    name: r.name,
    value: r.value,
    createdAt: githubTime(r.createdAt),
    updatedAt: githubTime(r.updatedAt)
  }
  if (r.visibility) v.visibility = r.visibility
  if (r.selectedRepositoryIds) v.selectedRepositoryIds = [...r.selectedRepositoryIds]
  return v
}
