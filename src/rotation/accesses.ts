// Access sets: turning a token's access list into grant requests, and comparing sets.
import { RotationError } from '../errors.js'
import type { Grant, TokenAccess } from '../planetscale/types.js'

/** Accesses that let a token run the next rotation of itself. */
export const SELF_ROTATION_ACCESSES = ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens'] as const

/**
 * Groups a token's accesses into one grant per database plus one for the organization,
 * organization first. Accesses on deleted databases are dropped: they cannot be granted.
 */
export function grantsFromAccesses(accesses: readonly TokenAccess[], tokenId: string): Grant[] {
  const byResource = new Map<string, Set<string>>()
  for (const access of accesses) {
    if (access.resource?.deleted_at) continue
    const database = resourceDatabase(access, tokenId)
    const set = byResource.get(database) ?? new Set<string>()
    set.add(access.access)
    byResource.set(database, set)
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : 0))
    .map(([database, set]) => ({ database, access: [...set].sort() }))
}

function resourceDatabase(access: TokenAccess, tokenId: string): string {
  const type = access.resource_type ?? ''
  if (type === 'Organization') return ''
  if (type === 'Database') {
    const name = access.resource_name ?? access.resource?.name
    if (!name)
      throw new RotationError(
        `Token ${tokenId} has a database access "${access.access}" without a database name; cannot copy it.`
      )
    return name
  }
  // Copying a permission we do not understand could silently widen or narrow access.
  throw new RotationError(
    `Token ${tokenId} has an access "${access.access}" on a resource of type "${type || '(none)'}", ` +
      'which this action does not know how to copy. ' +
      'Give the accesses explicitly with the `accesses` input.'
  )
}

/** `organization:perm` / `database:name:perm` keys, for set comparison and display. */
export function accessKeys(grants: readonly Grant[]): Set<string> {
  const keys = new Set<string>()
  for (const grant of grants) {
    for (const access of grant.access)
      keys.add(grant.database === '' ? `organization:${access}` : `database:${grant.database}:${access}`)
  }
  return keys
}

export interface AccessDiff {
  missing: string[]
  unexpected: string[]
}

export function diffAccessSets(intended: Set<string>, actual: Set<string>): AccessDiff {
  return {
    missing: [...intended].filter((key) => !actual.has(key)).sort(),
    unexpected: [...actual].filter((key) => !intended.has(key)).sort()
  }
}

export function describeDiff(diff: AccessDiff): string {
  const parts: string[] = []
  if (diff.missing.length > 0) parts.push(`missing ${diff.missing.join(', ')}`)
  if (diff.unexpected.length > 0) parts.push(`unexpected ${diff.unexpected.join(', ')}`)
  return parts.join('; ')
}

export function lacksSelfRotationAccesses(grants: readonly Grant[]): string[] {
  const keys = accessKeys(grants)
  return SELF_ROTATION_ACCESSES.filter((access) => !keys.has(`organization:${access}`))
}

/** Human-readable one-liners: `organization: read_service_tokens, …` / `database app-db: read_branch`. */
export function describeGrants(grants: readonly Grant[]): string[] {
  return grants.map(
    (grant) => `${grant.database === '' ? 'organization' : `database ${grant.database}`}: ${grant.access.join(', ')}`
  )
}
