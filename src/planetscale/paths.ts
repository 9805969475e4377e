// Every PlanetScale path the action calls, relative to the base URL (PlanetScale's API
// reference: service tokens). A correction to the API is one edit here.
import { isDotSegment } from '../inputs/path-segment.js'

/**
 * Encodes one path segment. Empty, "." and ".." are refused: URL parsing would drop or
 * resolve them (even percent-encoded), sending the request to a different endpoint. The inputs
 * refuse them first (src/inputs/path-segment.ts); this guards IDs read from the journal or the API.
 */
function segment(value: string, what: string): string {
  if (value === '' || isDotSegment(value)) {
    throw new TypeError(`PlanetScale ${what} must be a name, not "${value}"`)
  }
  return encodeURIComponent(value)
}

function serviceTokensBase(organization: string): string {
  return `/organizations/${segment(organization, 'organization')}/service-tokens`
}

/** `GET`: the organizations the credentials can see. */
export function organizationsPath(): string {
  return '/organizations'
}

/** `POST`: create a service token. */
export function serviceTokensPath(organization: string): string {
  return serviceTokensBase(organization)
}

/** `GET`: one page of the organization's service tokens. */
export function serviceTokensPagePath(organization: string, page: number, perPage: number): string {
  return `${serviceTokensBase(organization)}?page=${page}&per_page=${perPage}`
}

/** `GET` (with accesses) / `DELETE`: one service token. */
export function serviceTokenPath(organization: string, tokenId: string): string {
  return `${serviceTokensBase(organization)}/${segment(tokenId, 'token ID')}`
}

/** `POST`: grant accesses to a service token (not in PlanetScale's published reference). */
export function serviceTokenAccessPath(organization: string, tokenId: string): string {
  return `${serviceTokenPath(organization, tokenId)}/access`
}

/** `GET`: one page of a service token's accesses, flat (not in PlanetScale's published reference). */
export function serviceTokenAccessPagePath(
  organization: string,
  tokenId: string,
  page: number,
  perPage: number
): string {
  return `${serviceTokenAccessPath(organization, tokenId)}?page=${page}&per_page=${perPage}`
}
