// PlanetScale's service-token API (planetscale-api.md, "Endpoints"), strict on auth and accesses.
import { Router, type Params } from '../router.js'
import { isObject, pageParams, parseJson, type ApiHandler, type ApiRequest, type ApiResponse } from '../server.js'
import { ADMIN_ONLY_ACCESSES, isKnownAccess } from './permissions.js'
import { flatAccessJson, organizationJson, pageJson, tokenJson } from './shapes.js'
import type { OrganizationRecord, PlanetScaleState, ResourceType, TokenRecord } from './state.js'

interface Context {
  request: ApiRequest
  params: Params
  caller: TokenRecord
  /** Set for routes under /organizations/:org (the caller's own organization). */
  org: OrganizationRecord
}

type Handler = (ctx: Context) => ApiResponse

const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600
export const GRANT_FORBIDDEN_MESSAGE = 'You may only add service token accesses that you are also authorized to do'

const error = (status: number, code: string, message: string): ApiResponse => ({ status, body: { code, message } })
const NOT_FOUND = error(404, 'not_found', 'Not Found')
/** PlanetScale's answers for a request it refuses, by status. */
const REFUSALS = {
  401: error(401, 'unauthorized', 'Unauthorized'),
  403: error(403, 'forbidden', 'Forbidden'),
  404: NOT_FOUND
} as const

export class PlanetScaleHandler implements ApiHandler {
  readonly api = 'planetscale' as const
  private readonly router = new Router<Handler>()

  constructor(private readonly state: PlanetScaleState) {
    const tokens = '/organizations/:org/service-tokens'
    this.router
      .add('GET', tokens, (c) => this.listTokens(c))
      .add('POST', tokens, (c) => this.createToken(c))
      .add('GET', `${tokens}/:id`, (c) => this.getToken(c))
      .add('DELETE', `${tokens}/:id`, (c) => this.deleteToken(c))
      .add('GET', `${tokens}/:id/access`, (c) => this.listAccesses(c))
      .add('POST', `${tokens}/:id/access`, (c) => this.changeAccesses(c, 'grant'))
      .add('DELETE', `${tokens}/:id/access`, (c) => this.changeAccesses(c, 'revoke'))
  }

  notFound(): ApiResponse {
    return NOT_FOUND
  }

  describeAuthorization(header: string | undefined): string | undefined {
    if (header === undefined) return undefined
    const id = header.split(':', 1)[0]?.trim() ?? ''
    // Only something shaped like an ID is logged: a malformed header may be a bare secret.
    return /^[a-z0-9]{1,64}$/.test(id) && header.includes(':') ? `planetscale:${id}` : 'planetscale:malformed'
  }

  handle(request: ApiRequest): ApiResponse {
    const listOrgs = request.method === 'GET' && request.path === '/organizations'
    const route = listOrgs ? undefined : this.router.match(request.method, request.path)
    if (!listOrgs && !route) return NOT_FOUND
    const auth = this.state.authenticate(request.headers.authorization)
    if (!auth.ok) {
      return this.state.settings.badCredentialsStatus === 404
        ? NOT_FOUND
        : error(401, 'unauthorized', 'The service token is invalid, expired or deleted')
    }
    const caller = auth.token
    const callerOrg = this.state.organization(caller.organization) as OrganizationRecord
    if (listOrgs) {
      const paging = pageParams(request.query, 25)
      if (!paging) return error(422, 'unprocessable', 'page and per_page must be positive integers')
      return {
        status: 200,
        body: pageJson([organizationJson(callerOrg)], paging.page, paging.perPage, `${request.baseUrl}/organizations`)
      }
    }
    const { handler, params } = route as NonNullable<typeof route>
    // A token sees only its own organization; any other name is "not found".
    if (params.org !== caller.organization) return NOT_FOUND
    return handler({ request, params, caller, org: callerOrg })
  }

  private forbidden(): ApiResponse {
    return this.state.settings.missingAccessStatus === 404 ? NOT_FOUND : error(403, 'forbidden', 'Forbidden')
  }

  private canOrg(ctx: Context, access: string): boolean {
    return this.state.holds(ctx.caller, 'Organization', ctx.org.name, access)
  }

  private target(ctx: Context): TokenRecord | undefined {
    const record = this.state.record(ctx.params.id ?? '')
    return record && record.organization === ctx.org.name ? record : undefined
  }

  private listTokens(ctx: Context): ApiResponse {
    if (!this.canOrg(ctx, 'read_service_tokens')) return this.forbidden()
    const paging = pageParams(ctx.request.query, 25)
    if (!paging) return error(422, 'unprocessable', 'page and per_page must be positive integers')
    const items = this.state.records(ctx.org.name).map((t) => tokenJson(this.state, ctx.org, t))
    const url = `${ctx.request.baseUrl}${ctx.request.path}`
    return { status: 200, body: pageJson(items, paging.page, paging.perPage, url) }
  }

  private createToken(ctx: Context): ApiResponse {
    if (!this.canOrg(ctx, 'write_service_tokens')) return this.forbidden()
    const parsed = parseJson(ctx.request.body)
    if (!parsed.ok) return error(400, 'bad_request', 'Invalid JSON in request body')
    const body = parsed.value ?? {}
    if (!isObject(body)) return error(422, 'unprocessable', 'Request body must be a JSON object')
    const { name, ttl } = body
    if (name !== undefined && name !== null && typeof name !== 'string') {
      return error(422, 'unprocessable', 'name must be a string')
    }
    if (
      ttl !== undefined &&
      ttl !== null &&
      !(Number.isInteger(ttl) && (ttl as number) >= 1 && (ttl as number) <= MAX_TTL_SECONDS)
    ) {
      return error(422, 'unprocessable', `ttl must be a whole number of seconds between 1 and ${MAX_TTL_SECONDS}`)
    }
    const created = this.state.createToken(ctx.org.name, name ?? null, (ttl as number | null | undefined) ?? null)
    return { status: 200, body: tokenJson(this.state, ctx.org, created, true) }
  }

  private getToken(ctx: Context): ApiResponse {
    if (!this.canOrg(ctx, 'read_service_tokens')) return this.forbidden()
    const target = this.target(ctx)
    return target ? { status: 200, body: tokenJson(this.state, ctx.org, target) } : NOT_FOUND
  }

  private deleteToken(ctx: Context): ApiResponse {
    if (!this.canOrg(ctx, 'delete_service_tokens')) return this.forbidden()
    const target = this.target(ctx)
    if (!target) return NOT_FOUND
    this.state.deleteToken(target.id, ctx.caller.id)
    return { status: 204 }
  }

  private listAccesses(ctx: Context): ApiResponse {
    if (!this.canOrg(ctx, 'read_service_tokens')) return this.forbidden()
    const target = this.target(ctx)
    if (!target) return NOT_FOUND
    const paging = pageParams(ctx.request.query, 25)
    if (!paging) return error(422, 'unprocessable', 'page and per_page must be positive integers')
    const items = this.state.visibleAccesses(target).map((a) => flatAccessJson(this.state, ctx.org, a))
    return {
      status: 200,
      body: pageJson(items, paging.page, paging.perPage, `${ctx.request.baseUrl}${ctx.request.path}`)
    }
  }

  private changeAccesses(ctx: Context, change: 'grant' | 'revoke'): ApiResponse {
    const refusal = this.state.settings.grantRefusalStatus
    if (change === 'grant' && refusal !== null) return REFUSALS[refusal]
    if (!this.canOrg(ctx, 'write_service_tokens')) return this.forbidden()
    const target = this.target(ctx)
    if (!target) return NOT_FOUND
    const parsed = parseJson(ctx.request.body)
    if (!parsed.ok) return error(400, 'bad_request', 'Invalid JSON in request body')
    const body = parsed.value
    if (!isObject(body) || typeof body.database !== 'string') {
      return error(422, 'unprocessable', 'database must be a string ("" for organization-level accesses)')
    }
    const names = body.access
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      return error(422, 'unprocessable', 'access must be a non-empty list of access names')
    }
    const unknown = names.filter((n) => !isKnownAccess(n))
    if (unknown.length > 0) return error(422, 'unprocessable', `Unknown access: ${unknown.join(', ')}`)
    const resourceType: ResourceType = body.database === '' ? 'Organization' : 'Database'
    const resourceName = body.database === '' ? ctx.org.name : body.database
    if (resourceType === 'Database' && !this.state.liveDatabase(ctx.org.name, resourceName)) return NOT_FOUND

    if (change === 'revoke') {
      this.state.revoke(target, resourceType, resourceName, names)
      return { status: 204 }
    }
    const adminOnly = names.filter((n) => ADMIN_ONLY_ACCESSES.has(n))
    if (adminOnly.length > 0) {
      return error(403, 'forbidden', `Only organization administrators can grant ${adminOnly.join(', ')}`)
    }
    if (!names.every((n) => this.state.holds(ctx.caller, resourceType, resourceName, n))) {
      return error(403, 'forbidden', GRANT_FORBIDDEN_MESSAGE)
    }
    const granted = this.state.grant(target, resourceType, resourceName, names)
    return { status: 200, body: { type: 'list', data: granted.map((a) => flatAccessJson(this.state, ctx.org, a)) } }
  }
}
