// PlanetScale's state: organizations, databases, service tokens and their accesses.
// Times are epoch ms from the injected clock; shapes.ts turns records into API JSON.
import { timingSafeEqual } from 'node:crypto'
import { hexSecret, planetscaleId, planetscaleSecret } from '../ids.js'
import { isKnownAccess } from './permissions.js'

export type ResourceType = 'Organization' | 'Database'

/** How tests describe a token's accesses. */
export type AccessSpec = { organization: true; access: string[] } | { database: string; access: string[] }

export interface PlanetScaleSettings {
  /** What bad credentials answer: 401 (documented) or 404 (what PlanetScale was seen to do). Default 401. */
  badCredentialsStatus: 401 | 404
  /** What a missing access answers. Default 403. */
  missingAccessStatus: 403 | 404
  /** For this long after a grant, the grantee cannot use the access and its record does not list it. Default 0. */
  accessPropagationMs: number
  /**
   * Token records (get, list, create) leave out `service_token_accesses`, which PlanetScale's schema
   * does not require; `GET .../access` still lists them. Default false.
   */
  omitTokenAccesses: boolean
  /**
   * What `POST .../access` answers a service token (every caller here is one), whatever it asks:
   * PlanetScale may refuse this undocumented endpoint to service tokens. null (default): it grants.
   */
  grantRefusalStatus: 401 | 403 | 404 | null
  /** Create answers also carry a `plain_text_refresh_token` (a secret, recorded like the tokens). Default false. */
  issueRefreshTokens: boolean
  /** 'hex': new secrets are 40 hex digits, as in planetscale-go's fixtures, with no known prefix. Default 'pscale'. */
  secretFormat: 'pscale' | 'hex'
}

export interface DatabaseRecord {
  id: string
  name: string
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

export interface OrganizationRecord {
  id: string
  name: string
  createdAt: number
  updatedAt: number
  databases: Map<string, DatabaseRecord>
}

export interface AccessRecord {
  id: string
  access: string
  resourceType: ResourceType
  /** Database name, or the organization's name for organization-level accesses. */
  resourceName: string
  /** When the access starts to work (grant time + propagation delay). */
  effectiveAt: number
}

export interface TokenRecord {
  id: string
  organization: string
  name: string | null
  secret: string
  /** Only when settings.issueRefreshTokens was on at create; shown in the create answer alone. */
  refreshToken: string | null
  createdAt: number
  updatedAt: number
  expiresAt: number | null
  lastUsedAt: number | null
  deletedAt: number | null
  accesses: AccessRecord[]
}

/** A token as tests see it: never the secret. */
export interface TokenInfo {
  id: string
  organization: string
  name: string | null
  createdAt: string
  updatedAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  deletedAt: string | null
  /** accessSet() of the token. */
  accesses: string[]
}

export type AuthResult = { ok: true; token: TokenRecord } | { ok: false }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function accessKey(a: Pick<AccessRecord, 'resourceType' | 'resourceName' | 'access'>): string {
  return a.resourceType === 'Organization' ? `organization:${a.access}` : `database:${a.resourceName}:${a.access}`
}

export class PlanetScaleState {
  readonly settings: PlanetScaleSettings
  private readonly orgs = new Map<string, OrganizationRecord>()
  private readonly tokenRecords = new Map<string, TokenRecord>()
  private readonly issuedSecrets: string[] = []
  private readonly selfDeleted: string[] = []

  constructor(
    private readonly clock: () => number,
    settings: Partial<PlanetScaleSettings> = {}
  ) {
    this.settings = {
      badCredentialsStatus: 401,
      missingAccessStatus: 403,
      accessPropagationMs: 0,
      omitTokenAccesses: false,
      grantRefusalStatus: null,
      issueRefreshTokens: false,
      secretFormat: 'pscale'
    }
    this.configure(settings)
  }

  configure(settings: Partial<PlanetScaleSettings>): void {
    for (const [key, value] of Object.entries(settings)) {
      if (value !== undefined) Object.assign(this.settings, { [key]: value })
    }
  }

  now(): number {
    return this.clock()
  }

  // ---- organizations and databases -------------------------------------------------------

  addOrganization(name: string, options: { databases?: string[] } = {}): void {
    if (!this.orgs.has(name)) {
      const now = this.clock()
      this.orgs.set(name, { id: planetscaleId(), name, createdAt: now, updatedAt: now, databases: new Map() })
    }
    for (const db of options.databases ?? []) this.addDatabase(name, db)
  }

  addDatabase(organization: string, name: string): void {
    const org = this.requireOrganization(organization)
    const existing = org.databases.get(name)
    if (existing && existing.deletedAt === null) return
    const now = this.clock()
    org.databases.set(name, { id: planetscaleId(), name, createdAt: now, updatedAt: now, deletedAt: null })
  }

  /** Marks a database deleted: accesses on it stay on tokens, with `resource.deleted_at` set. */
  deleteDatabase(organization: string, name: string): void {
    const db = this.requireOrganization(organization).databases.get(name)
    if (!db) throw new Error(`emulator: no database ${organization}/${name}`)
    db.deletedAt = db.updatedAt = this.clock()
  }

  organization(name: string): OrganizationRecord | undefined {
    return this.orgs.get(name)
  }

  /** A database that exists and is not deleted. */
  liveDatabase(organization: string, name: string): DatabaseRecord | undefined {
    const db = this.orgs.get(organization)?.databases.get(name)
    return db && db.deletedAt === null ? db : undefined
  }

  private requireOrganization(name: string): OrganizationRecord {
    const org = this.orgs.get(name)
    if (!org) throw new Error(`emulator: no PlanetScale organization ${name} (addOrganization first)`)
    return org
  }

  // ---- tokens ---------------------------------------------------------------------------

  /** Seeds a token. Its accesses are effective at once (no propagation delay). */
  addToken(
    organization: string,
    options: { name?: string; ttlSeconds?: number; createdAt?: Date; lastUsedAt?: Date; accesses: AccessSpec[] }
  ): { id: string; token: string } {
    this.requireOrganization(organization)
    const createdAt = options.createdAt?.getTime() ?? this.clock()
    const record = this.createToken(organization, options.name ?? null, options.ttlSeconds ?? null, createdAt)
    record.lastUsedAt = options.lastUsedAt?.getTime() ?? null
    for (const spec of options.accesses) {
      const names = spec.access
      const unknown = names.filter((n) => !isKnownAccess(n))
      if (unknown.length > 0) throw new Error(`emulator: unknown access name(s) ${unknown.join(', ')}`)
      if ('database' in spec) {
        if (!this.liveDatabase(organization, spec.database)) {
          throw new Error(`emulator: no database ${organization}/${spec.database} (addOrganization with it first)`)
        }
        this.grant(record, 'Database', spec.database, names, 0)
      } else {
        this.grant(record, 'Organization', organization, names, 0)
      }
    }
    return { id: record.id, token: record.secret }
  }

  createToken(
    organization: string,
    name: string | null,
    ttlSeconds: number | null,
    createdAt = this.clock()
  ): TokenRecord {
    let id = planetscaleId()
    while (this.tokenRecords.has(id)) id = planetscaleId()
    const newSecret = this.settings.secretFormat === 'hex' ? hexSecret : planetscaleSecret
    const record: TokenRecord = {
      id,
      organization,
      name,
      secret: newSecret(),
      refreshToken: this.settings.issueRefreshTokens ? newSecret() : null,
      createdAt,
      updatedAt: createdAt,
      expiresAt: ttlSeconds === null ? null : createdAt + ttlSeconds * 1000,
      lastUsedAt: null,
      deletedAt: null,
      accesses: []
    }
    this.tokenRecords.set(id, record)
    this.issuedSecrets.push(record.secret)
    if (record.refreshToken !== null) this.issuedSecrets.push(record.refreshToken)
    return record
  }

  /** The record of a token that exists and is not deleted (expired ones included). */
  record(id: string): TokenRecord | undefined {
    const record = this.tokenRecords.get(id)
    return record && record.deletedAt === null ? record : undefined
  }

  /** Tokens of an organization that are not deleted (expired ones included), oldest first. */
  records(organization: string): TokenRecord[] {
    return [...this.tokenRecords.values()].filter((t) => t.organization === organization && t.deletedAt === null)
  }

  authenticate(header: string | undefined): AuthResult {
    if (!header) return { ok: false }
    const colon = header.indexOf(':')
    if (colon <= 0) return { ok: false }
    const record = this.record(header.slice(0, colon).trim())
    if (!record || !this.usable(record) || !sameSecret(record.secret, header.slice(colon + 1).trim())) {
      return { ok: false }
    }
    record.lastUsedAt = this.clock()
    return { ok: true, token: record }
  }

  private usable(record: TokenRecord): boolean {
    return record.deletedAt === null && (record.expiresAt === null || record.expiresAt > this.clock())
  }

  /** Whether the token can use this access now (propagated, and its database not deleted). */
  holds(token: TokenRecord, resourceType: ResourceType, resourceName: string, access: string): boolean {
    const now = this.clock()
    return token.accesses.some(
      (a) =>
        a.access === access &&
        a.resourceType === resourceType &&
        a.resourceName === resourceName &&
        a.effectiveAt <= now &&
        (resourceType === 'Organization' || this.liveDatabase(token.organization, resourceName) !== undefined)
    )
  }

  /** Accesses the token's record shows now (propagated ones). */
  visibleAccesses(token: TokenRecord): AccessRecord[] {
    const now = this.clock()
    return token.accesses.filter((a) => a.effectiveAt <= now)
  }

  /** Adds the accesses the token lacks; returns the token's records for every name given. */
  grant(
    token: TokenRecord,
    resourceType: ResourceType,
    resourceName: string,
    names: string[],
    propagationMs = this.settings.accessPropagationMs
  ): AccessRecord[] {
    const effectiveAt = this.clock() + propagationMs
    const result: AccessRecord[] = []
    for (const access of new Set(names)) {
      let record = token.accesses.find(
        (a) => a.access === access && a.resourceType === resourceType && a.resourceName === resourceName
      )
      if (!record) {
        record = { id: planetscaleId(), access, resourceType, resourceName, effectiveAt }
        token.accesses.push(record)
        token.updatedAt = this.clock()
      }
      result.push(record)
    }
    return result
  }

  revoke(token: TokenRecord, resourceType: ResourceType, resourceName: string, names: string[]): void {
    const drop = new Set(names)
    const before = token.accesses.length
    token.accesses = token.accesses.filter(
      (a) => !(a.resourceType === resourceType && a.resourceName === resourceName && drop.has(a.access))
    )
    if (token.accesses.length !== before) token.updatedAt = this.clock()
  }

  /** Deletes a token; `byTokenId` is the caller, so a token deleting itself is recorded. */
  deleteToken(id: string, byTokenId?: string): boolean {
    const record = this.record(id)
    if (!record) return false
    record.deletedAt = this.clock()
    if (byTokenId === id) this.selfDeleted.push(id)
    return true
  }

  // ---- views for tests --------------------------------------------------------------------

  /** Whether `Authorization: id:token` would authenticate now (no side effect). */
  authenticates(credentials: { id: string; token: string }): boolean {
    const record = this.record(credentials.id)
    return record !== undefined && this.usable(record) && sameSecret(record.secret, credentials.token)
  }

  /**
   * Sorted access keys ('organization:read_service_tokens', 'database:app-db:read_branch'),
   * still-propagating grants included, accesses on deleted databases left out.
   */
  accessSet(id: string): string[] {
    const record = this.tokenRecords.get(id)
    if (!record) return []
    return record.accesses
      .filter((a) => a.resourceType === 'Organization' || this.liveDatabase(record.organization, a.resourceName))
      .map(accessKey)
      .sort()
  }

  /** Not deleted and not expired. */
  isAlive(id: string): boolean {
    const record = this.tokenRecords.get(id)
    return record !== undefined && this.usable(record)
  }

  /** Alive tokens of the organization, oldest first. */
  tokens(organization: string): TokenInfo[] {
    return this.records(organization)
      .filter((t) => this.usable(t))
      .map((t) => this.info(t))
  }

  /** Any token ever created, deleted ones included. */
  token(id: string): TokenInfo | undefined {
    const record = this.tokenRecords.get(id)
    return record && this.info(record)
  }

  tokenSecrets(): string[] {
    return [...this.issuedSecrets]
  }

  /** IDs of tokens that deleted themselves (undocumented in PlanetScale; the protocol avoids it). */
  get selfDeletions(): string[] {
    return [...this.selfDeleted]
  }

  organizations(): string[] {
    return [...this.orgs.keys()]
  }

  private info(t: TokenRecord): TokenInfo {
    return {
      id: t.id,
      organization: t.organization,
      name: t.name,
      createdAt: iso(t.createdAt) as string,
      updatedAt: iso(t.updatedAt) as string,
      expiresAt: iso(t.expiresAt),
      lastUsedAt: iso(t.lastUsedAt),
      deletedAt: iso(t.deletedAt),
      accesses: this.accessSet(t.id)
    }
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
