// PlanetScale's JSON shapes (planetscale-api.md, "Shapes"), built from state records.
import { describeAccess } from './permissions.js'
import type { AccessRecord, OrganizationRecord, PlanetScaleState, TokenRecord } from './state.js'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function resourceOf(state: PlanetScaleState, org: OrganizationRecord, access: AccessRecord) {
  if (access.resourceType === 'Organization') {
    return {
      id: org.id,
      name: org.name,
      created_at: iso(org.createdAt),
      updated_at: iso(org.updatedAt),
      deleted_at: null
    }
  }
  const db = org.databases.get(access.resourceName)
  return {
    id: db?.id ?? null,
    name: access.resourceName,
    created_at: iso(db?.createdAt ?? null),
    updated_at: iso(db?.updatedAt ?? null),
    // A database that vanished entirely is reported deleted too.
    deleted_at: db ? iso(db.deletedAt) : iso(state.now())
  }
}

/** An item of `service_token_accesses`. */
export function accessJson(state: PlanetScaleState, org: OrganizationRecord, access: AccessRecord) {
  const resource = resourceOf(state, org, access)
  return {
    id: access.id,
    access: access.access,
    description: describeAccess(access.access),
    resource_name: resource.name,
    resource_id: resource.id,
    resource_type: access.resourceType,
    resource
  }
}

/** An item of the undocumented flat `.../access` list. */
export function flatAccessJson(state: PlanetScaleState, org: OrganizationRecord, access: AccessRecord) {
  const resource = resourceOf(state, org, access)
  return {
    id: access.id,
    type: `${access.resourceType}Access`,
    access: access.access,
    resource: { id: resource.id, type: access.resourceType, name: resource.name }
  }
}

/** A service token; the secrets only when `withSecret` (the create response). */
export function tokenJson(state: PlanetScaleState, org: OrganizationRecord, token: TokenRecord, withSecret = false) {
  const displayName = token.name ?? token.id
  return {
    id: token.id,
    type: 'ServiceToken',
    name: token.name,
    display_name: displayName,
    token: withSecret ? token.secret : null,
    plain_text_refresh_token: withSecret ? token.refreshToken : null,
    avatar_url: `https://app.planetscale.com/gravatar-fallback.png?id=${token.id}`,
    created_at: iso(token.createdAt),
    updated_at: iso(token.updatedAt),
    expires_at: iso(token.expiresAt),
    last_used_at: iso(token.lastUsedAt),
    actor_id: token.id,
    actor_display_name: displayName,
    actor_type: 'ServiceToken',
    ...(!state.settings.omitTokenAccesses && {
      service_token_accesses: state.visibleAccesses(token).map((a) => accessJson(state, org, a))
    })
  }
}

export function organizationJson(org: OrganizationRecord) {
  return {
    id: org.id,
    type: 'Organization',
    name: org.name,
    created_at: iso(org.createdAt),
    updated_at: iso(org.updatedAt)
  }
}

/** PlanetScale's paged list wrapper; `url` is the absolute URL of the list without a query. */
export function pageJson<T>(items: T[], page: number, perPage: number, url: string) {
  const start = (page - 1) * perPage
  const pageUrl = (n: number | null) => (n === null ? null : `${url}?page=${n}&per_page=${perPage}`)
  const next = start + perPage < items.length ? page + 1 : null
  const prev = page > 1 ? page - 1 : null
  return {
    type: 'list',
    current_page: page,
    next_page: next,
    next_page_url: pageUrl(next),
    prev_page: prev,
    prev_page_url: pageUrl(prev),
    data: items.slice(start, start + perPage)
  }
}
