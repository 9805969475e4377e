// PlanetScale's shapes as the action reads them, and the operations the action needs.

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
