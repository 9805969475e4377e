// Domain types shared by the clients, the protocol and the commands.

/** A PlanetScale service token ID and secret, as sent in `Authorization: ID:TOKEN`. */
export interface Credentials {
  id: string
  token: string
}

/** An access as PlanetScale returns it (`service_token_accesses[]`). */
export interface TokenAccess {
  id?: string
  access: string
  description?: string
  resource_name?: string | null
  resource_id?: string | null
  resource_type?: string | null
  resource?: { id?: string; name?: string; deleted_at?: string | null } | null
}

/** A service token record. `token` is only ever present in the create response. */
export interface ServiceToken {
  id: string
  name?: string | null
  display_name?: string | null
  token?: string | null
  created_at: string
  updated_at?: string | null
  expires_at: string | null
  last_used_at?: string | null
  service_token_accesses?: TokenAccess[]
}

/** A newly created token: the only place a secret exists. */
export interface CreatedToken extends ServiceToken {
  token: string
}

/**
 * One grant request: `database` is the database name, or "" for organization-level
 * accesses (what the pscale CLI sends).
 */
export interface Grant {
  database: string
  access: string[]
}

/** The PlanetScale operations the action needs, bound to one organization and one credential. */
export interface PlanetScaleApi {
  /** `GET /organizations`: proves the credentials work. Returns organization names. */
  listOrganizations(): Promise<string[]>
  /** All pages of `GET /organizations/{org}/service-tokens`. */
  listTokens(): Promise<ServiceToken[]>
  /** `GET /organizations/{org}/service-tokens/{id}`, accesses included. */
  getToken(id: string): Promise<ServiceToken>
  /** `POST /organizations/{org}/service-tokens`. The secret is masked before this resolves. */
  createToken(options: { name?: string; ttlSeconds?: number }): Promise<CreatedToken>
  /** `DELETE .../service-tokens/{id}`. A 404 counts as deleted once the credentials are proven to work. */
  deleteToken(id: string): Promise<'deleted' | 'already-deleted'>
  /** `POST .../service-tokens/{id}/access`. */
  grantAccess(id: string, grant: Grant): Promise<void>
}

export type Visibility = 'all' | 'private' | 'selected'

/** A parsed `targets` line. `label` is the canonical form used in logs and the summary. */
export type TargetSpec =
  | { kind: 'repo'; label: string; owner: string; repo: string }
  | { kind: 'environment'; label: string; owner: string; repo: string; environment: string }
  | { kind: 'dependabot'; label: string; owner: string; repo: string }
  | {
      kind: 'org' | 'dependabot-org'
      label: string
      org: string
      /** Absent: keep an existing secret's visibility; a new one is `private`. */
      visibility?: Visibility
      /** With `selected`: repository names (`REPO` in the org, or `OWNER/REPO`). */
      selectedRepositories?: string[]
    }

/**
 * A target after the check step: its public key is fetched and (for organizations)
 * the visibility each secret will be written with is settled. Writing only seals and PUTs.
 */
export interface PreparedTarget {
  readonly spec: TargetSpec
  /** Seal `value` with the target's public key and PUT it. */
  writeSecret(name: string, value: string, signal?: AbortSignal): Promise<'created' | 'updated'>
}

export interface SecretsApi {
  /**
   * Fetch the target's public key and, for organization targets, read the current
   * visibility (and selected repositories) of each named secret, or resolve the ones
   * the target line names. Read-only.
   */
  prepare(spec: TargetSpec, secretNames: readonly string[]): Promise<PreparedTarget>
}

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>
