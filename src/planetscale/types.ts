// PlanetScale's shapes as the action reads them, and the operations the action needs.

/** A PlanetScale service token ID and secret, as sent in `Authorization: ID:TOKEN`. */
export interface Credentials {
  id: string
  token: string
}

/**
 * An access as PlanetScale returns it in `service_token_accesses[]`; the client maps the flat
 * `GET .../access` items to this shape too.
 */
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
  /** Who created the token (`actor_type` says what kind of actor). */
  actor_display_name?: string | null
  /** Optional in PlanetScale's schema: absent means "not said", never "none". getToken always fills it. */
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
  /**
   * `GET /organizations/{org}/service-tokens/{id}`, accesses included: read from
   * `GET .../service-tokens/{id}/access` when the record does not list them.
   */
  getToken(id: string): Promise<ServiceToken>
  /** `POST /organizations/{org}/service-tokens`. The secret is masked before this resolves. */
  createToken(options: { name?: string; ttlSeconds?: number }): Promise<CreatedToken>
  /** `DELETE .../service-tokens/{id}`. A 404 counts as deleted once the credentials are proven to work. */
  deleteToken(id: string): Promise<'deleted' | 'already-deleted'>
  /**
   * `POST .../service-tokens/{id}/access` (undocumented). A 401, 403 or 404 with credentials that
   * work is a GrantRefusedError.
   */
  grantAccess(id: string, grant: Grant): Promise<void>
}
