// GitHub's state: repositories, environments, organizations, one X25519 key pair and a
// secret store per scope, and the tokens that may read or write each scope.
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
}

export interface TokenGrant {
  all: boolean
  /** Lower-case scope keys the token may read and write. */
  write: Set<string>
  /** Lower-case scope keys the token may only read (public key, secret metadata). */
  read: Set<string>
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

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/
export const MAX_SECRET_BYTES = 48 * 1024

export function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function isOrgKind(kind: ScopeKind): boolean {
  return kind === 'org' || kind === 'dependabot-org'
}

export function secretLimit(kind: ScopeKind): number {
  return isOrgKind(kind) ? 1000 : 100
}

/** Why a secret name is invalid, or undefined. */
export function invalidName(name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return 'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), and must not start with a number.'
  }
  if (/^GITHUB_/i.test(name)) return 'Secret names must not start with GITHUB_.'
  return undefined
}

export class GitHubState {
  private readonly repos = new Map<string, RepoRecord>()
  private readonly orgs = new Map<string, string>()
  private readonly scopes = new Map<string, Scope>()
  private readonly grants = new Map<string, TokenGrant>()
  private readonly keyIds = new Set<string>()
  private nextRepoId = 700_000_001

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
      repo = { id: this.nextRepoId++, owner, name, fullName, environments: new Map() }
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
    this.addScope(`environment:${repo.fullName}/${environment}`, 'environment', repo.owner, repo, environment)
  }

  private addScope(key: string, kind: ScopeKind, owner: string, repo?: RepoRecord, environment?: string): void {
    const scope: Scope = { key, kind, owner, repo, environment, secrets: new Map(), ...this.newKey() }
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

  /** `scopes`: scope keys the token may read and write ('all': everything); `readScopes`: read only. */
  addToken(token: string, options: { scopes: 'all' | string[]; readScopes?: string[] }): void {
    const lower = (keys: string[] = []) => new Set(keys.map((k) => k.toLowerCase()))
    this.grants.set(token, {
      all: options.scopes === 'all',
      write: lower(options.scopes === 'all' ? [] : options.scopes),
      read: lower(options.readScopes)
    })
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
    return [...grant.write, ...grant.read].some(
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
    return [...grant.write, ...grant.read].some(
      (k) =>
        k === `org:${o}` ||
        k === `dependabot-org:${o}` ||
        (/^(repo|dependabot|environment):/.test(k) && k.split(':')[1]?.startsWith(`${o}/`))
    )
  }

  may(grant: TokenGrant, scope: Scope, need: 'read' | 'write'): boolean {
    const key = scope.key.toLowerCase()
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

  store(
    scope: Scope,
    name: string,
    value: string,
    access: { visibility?: Visibility; selectedRepositoryIds?: number[] } = {}
  ): 'created' | 'updated' {
    const upper = name.toUpperCase()
    const now = this.clock()
    const existing = scope.secrets.get(upper)
    const record: SecretRecord = { name: upper, value, createdAt: existing?.createdAt ?? now, updatedAt: now }
    if (isOrgKind(scope.kind)) {
      record.visibility = access.visibility ?? 'private'
      if (record.visibility === 'selected')
        record.selectedRepositoryIds = [...new Set(access.selectedRepositoryIds ?? [])]
    }
    scope.secrets.set(upper, record)
    return existing ? 'updated' : 'created'
  }

  /** Seeds a secret as if written through the API (validated the same way). */
  putSecretPlain(
    scopeKey: string,
    name: string,
    value: string,
    access: { visibility?: Visibility; selectedRepositoryIds?: number[] } = {}
  ): void {
    const scope = this.requireScope(scopeKey)
    const problem = invalidName(name)
    if (problem) throw new Error(`emulator: ${problem}`)
    if (!isOrgKind(scope.kind) && (access.visibility || access.selectedRepositoryIds)) {
      throw new Error(`emulator: visibility applies to organization scopes only, not ${scope.key}`)
    }
    const unknown = (access.selectedRepositoryIds ?? []).filter(
      (id) => this.repositoryById(id)?.owner.toLowerCase() !== scope.owner.toLowerCase()
    )
    if (unknown.length > 0) throw new Error(`emulator: repository IDs not in ${scope.owner}: ${unknown.join(', ')}`)
    this.store(scope, name, value, access)
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
