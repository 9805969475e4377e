// GitHub's secrets endpoints for the five scopes and Actions variables for three (github-secrets-api.md),
// strict on encoding, key IDs, sealed boxes, names, visibility, token permissions and token expiry.
import { Router, type Params } from '../router.js'
import { isObject, pageParams, parseJson, type ApiHandler, type ApiRequest, type ApiResponse } from '../server.js'
import type { RateLimits } from './limits.js'
import {
  expirationHeader,
  githubTime,
  hasVariables,
  invalidName,
  invalidVariableValue,
  isOrgKind,
  MAX_SECRET_BYTES,
  secretLimit,
  type Access,
  type GitHubState,
  type Scope,
  type ScopeKind,
  type SecretRecord,
  type Store,
  type TokenGrant,
  type Visibility
} from './state.js'

interface Context {
  request: ApiRequest
  params: Params
  grant: TokenGrant
}

type Handler = (ctx: Context) => ApiResponse

const DOCS = 'https://docs.github.com/rest'
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
export const IMPROPERLY_ENCRYPTED = 'Bad request - validation failed due to an improperly encrypted secret'
export const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
export const NOT_ACCESSIBLE = 'Resource not accessible by integration'

const error = (status: number, message: string, headers?: Record<string, string>): ApiResponse => ({
  status,
  body: { message, documentation_url: DOCS },
  headers
})
const NOT_FOUND = error(404, 'Not Found')
const WRITES = new Set(['PUT', 'DELETE', 'POST', 'PATCH'])
const invalid = (detail: string) => error(422, `Invalid request.\n\n${detail}`)

/** How a scope family's URL names its scope. */
const FAMILIES: { kind: ScopeKind; base: string }[] = [
  { kind: 'repo', base: '/repos/:owner/:repo/actions' },
  { kind: 'dependabot', base: '/repos/:owner/:repo/dependabot' },
  { kind: 'environment', base: '/repos/:owner/:repo/environments/:environment' },
  { kind: 'org', base: '/orgs/:org/actions' },
  { kind: 'dependabot-org', base: '/orgs/:org/dependabot' }
]

export class GitHubHandler implements ApiHandler {
  readonly api = 'github' as const
  private readonly router = new Router<Handler>()

  constructor(
    private readonly state: GitHubState,
    private readonly limits: RateLimits
  ) {
    this.router.add('GET', '/repos/:owner/:repo', (c) => this.getRepository(c))
    this.router.add('GET', '/repos/:owner/:repo/environments', (c) => this.listEnvironments(c))
    for (const { kind, base } of FAMILIES) {
      const read = (c: Context, h: (s: Scope) => ApiResponse) => this.withScope(c, kind, 'read', h)
      const write = (c: Context, h: (s: Scope) => ApiResponse) => this.withScope(c, kind, 'write', h)
      this.router
        .add('GET', `${base}/secrets/public-key`, (c) => read(c, (s) => this.publicKey(s)))
        .add('GET', `${base}/secrets`, (c) => read(c, (s) => this.list(c, s, 'secrets')))
        .add('GET', `${base}/secrets/:name`, (c) => read(c, (s) => this.get(c, s, 'secrets')))
        .add('PUT', `${base}/secrets/:name`, (c) => write(c, (s) => this.putSecret(c, s)))
        .add('DELETE', `${base}/secrets/:name`, (c) => write(c, (s) => this.delete(c, s, 'secrets')))
      if (isOrgKind(kind)) {
        this.router.add('GET', `${base}/secrets/:name/repositories`, (c) =>
          read(c, (s) => this.selectedRepositories(c, s, 'secrets'))
        )
      }
      if (!hasVariables(kind)) continue
      const vars = (c: Context, h: (s: Scope) => ApiResponse) => this.withScope(c, kind, 'variables', h)
      this.router
        .add('GET', `${base}/variables`, (c) => vars(c, (s) => this.list(c, s, 'variables')))
        .add('POST', `${base}/variables`, (c) => vars(c, (s) => this.createVariable(c, s)))
        .add('GET', `${base}/variables/:name`, (c) => vars(c, (s) => this.get(c, s, 'variables')))
        .add('PATCH', `${base}/variables/:name`, (c) => vars(c, (s) => this.updateVariable(c, s)))
        .add('DELETE', `${base}/variables/:name`, (c) => vars(c, (s) => this.delete(c, s, 'variables')))
      if (isOrgKind(kind)) {
        this.router.add('GET', `${base}/variables/:name/repositories`, (c) =>
          vars(c, (s) => this.selectedRepositories(c, s, 'variables'))
        )
      }
    }
  }

  notFound(): ApiResponse {
    return NOT_FOUND
  }

  describeAuthorization(header: string | undefined): string | undefined {
    if (header === undefined) return undefined
    const token = bearer(header)
    return token ? `github:${token.slice(0, 8)}…` : 'github:malformed'
  }

  commonHeaders(request: ApiRequest): Record<string, string> {
    const headers = this.limits.headers(this.bucketKey(request))
    const token = bearer(request.headers.authorization ?? '')
    const expiresAt = token === undefined ? undefined : this.state.grant(token)?.expiresAt
    if (expiresAt !== undefined) headers['github-authentication-token-expiration'] = expirationHeader(expiresAt)
    return headers
  }

  private bucketKey(request: ApiRequest): string {
    const token = bearer(request.headers.authorization ?? '')
    return token && this.state.grant(token) ? `token:${token}` : 'anonymous'
  }

  handle(request: ApiRequest): ApiResponse {
    const header = request.headers.authorization
    if (!header) return error(401, 'Requires authentication')
    const token = bearer(header)
    const grant = token === undefined ? undefined : this.state.grant(token)
    if (!grant || !this.state.admit(grant)) return error(401, 'Bad credentials')
    const bucket = this.bucketKey(request)
    if (request.method === 'GET' && request.path === '/rate_limit') {
      const core = this.limits.status(bucket)
      return { status: 200, body: { resources: { core }, rate: core } }
    }
    if (!this.limits.consume(bucket)) return error(403, 'API rate limit exceeded for this token.')
    if (this.limits.tooConcurrent(request.inFlight) || (WRITES.has(request.method) && !this.limits.admitWrite())) {
      this.limits.secondaryHits++
      return error(403, SECONDARY_LIMIT_MESSAGE, {
        'retry-after': String(this.limits.settings.secondaryRetryAfterSeconds)
      })
    }
    const route = this.router.match(request.method, request.path)
    return route ? route.handler({ request, params: route.params, grant }) : NOT_FOUND
  }

  private getRepository(ctx: Context): ApiResponse {
    const repo = this.state.repository(ctx.params.owner ?? '', ctx.params.repo ?? '')
    if (!repo || !this.state.canSeeRepository(ctx.grant, repo)) return NOT_FOUND
    return {
      status: 200,
      body: { id: repo.id, name: repo.name, full_name: repo.fullName, owner: { login: repo.owner }, private: true }
    }
  }

  /** Paged, by name; each environment's name and times only. */
  private listEnvironments(ctx: Context): ApiResponse {
    const repo = this.state.repository(ctx.params.owner ?? '', ctx.params.repo ?? '')
    if (!repo || !this.state.canSeeRepository(ctx.grant, repo)) return NOT_FOUND
    const paging = pageParams(ctx.request.query, 30)
    if (!paging) return invalid('page and per_page must be positive integers.')
    const all = [...repo.environments].sort(([a], [b]) => a.localeCompare(b))
    const start = (paging.page - 1) * paging.perPage
    const environments = all.slice(start, start + paging.perPage).map(([key, name]) => {
      const at = githubTime(repo.environmentsCreatedAt.get(key) ?? 0)
      return { name, created_at: at, updated_at: at }
    })
    return { status: 200, body: { total_count: all.length, environments } }
  }

  /** Resolves the scope in the URL: 404 for what the token cannot see or what does not exist, 403 without permission. */
  private withScope(
    ctx: Context,
    kind: ScopeKind,
    need: 'read' | 'write' | 'variables',
    handler: (scope: Scope) => ApiResponse
  ): ApiResponse {
    const { params, grant } = ctx
    if ((kind === 'dependabot' || kind === 'dependabot-org') && !this.state.dependabot) return NOT_FOUND
    let key: string
    if (isOrgKind(kind)) {
      const org = this.state.organization(params.org ?? '')
      if (!org || !this.state.canSeeOrganization(grant, org)) return NOT_FOUND
      key = `${kind}:${org}`
    } else {
      const repo = this.state.repository(params.owner ?? '', params.repo ?? '')
      if (!repo || !this.state.canSeeRepository(grant, repo)) return NOT_FOUND
      if (kind === 'environment') {
        const environment = repo.environments.get((params.environment ?? '').toLowerCase())
        if (environment === undefined) return NOT_FOUND
        key = `environment:${repo.fullName}/${environment}`
      } else {
        key = `${kind}:${repo.fullName}`
      }
    }
    const scope = this.state.scope(key) as Scope
    if (!this.state.may(grant, scope, need)) return error(403, NOT_ACCESSIBLE)
    return handler(scope)
  }

  private publicKey(scope: Scope): ApiResponse {
    return { status: 200, body: this.state.publicKey(scope.key) }
  }

  /** A secret's metadata, or a variable with its value. */
  private entryJson(ctx: Context, scope: Scope, entry: SecretRecord, store: Store) {
    const body: Record<string, unknown> = { name: entry.name }
    if (store === 'variables') body.value = entry.value
    body.created_at = githubTime(entry.createdAt)
    body.updated_at = githubTime(entry.updatedAt)
    if (isOrgKind(scope.kind)) {
      body.visibility = entry.visibility
      if (entry.visibility === 'selected') {
        body.selected_repositories_url = `${ctx.request.baseUrl}/orgs/${scope.owner}/${scope.kind === 'org' ? 'actions' : 'dependabot'}/${store}/${entry.name}/repositories`
      }
    }
    return body
  }

  private list(ctx: Context, scope: Scope, store: Store): ApiResponse {
    const paging = pageParams(ctx.request.query, 30)
    if (!paging) return invalid('page and per_page must be positive integers.')
    const all = [...scope[store].values()].sort((a, b) => a.name.localeCompare(b.name))
    const start = (paging.page - 1) * paging.perPage
    const page = all.slice(start, start + paging.perPage).map((e) => this.entryJson(ctx, scope, e, store))
    return { status: 200, body: { total_count: all.length, [store]: page } }
  }

  private get(ctx: Context, scope: Scope, store: Store): ApiResponse {
    const entry = scope[store].get((ctx.params.name ?? '').toUpperCase())
    return entry ? { status: 200, body: this.entryJson(ctx, scope, entry, store) } : NOT_FOUND
  }

  private delete(ctx: Context, scope: Scope, store: Store): ApiResponse {
    return scope[store].delete((ctx.params.name ?? '').toUpperCase()) ? { status: 204 } : NOT_FOUND
  }

  private selectedRepositories(ctx: Context, scope: Scope, store: Store): ApiResponse {
    const entry = scope[store].get((ctx.params.name ?? '').toUpperCase())
    if (!entry) return NOT_FOUND
    if (entry.visibility !== 'selected') {
      return error(409, `The ${store === 'secrets' ? 'secret' : 'variable'}'s visibility is not "selected".`)
    }
    const paging = pageParams(ctx.request.query, 30)
    if (!paging) return invalid('page and per_page must be positive integers.')
    const repos = (entry.selectedRepositoryIds ?? []).flatMap((id) => this.state.repositoryById(id) ?? [])
    const start = (paging.page - 1) * paging.perPage
    return {
      status: 200,
      body: {
        total_count: repos.length,
        repositories: repos
          .slice(start, start + paging.perPage)
          .map((r) => ({ id: r.id, name: r.name, full_name: r.fullName, owner: { login: r.owner }, private: true }))
      }
    }
  }

  private putSecret(ctx: Context, scope: Scope): ApiResponse {
    const name = ctx.params.name ?? ''
    const badName = invalidName(name)
    if (badName) return error(422, badName)
    const read = readObject(ctx)
    if ('error' in read) return read.error
    const { body } = read
    const { encrypted_value: encrypted, key_id: keyId } = body
    if (encrypted === undefined) return invalid('"encrypted_value" wasn\'t supplied.')
    if (typeof encrypted !== 'string') return invalid(`For 'properties/encrypted_value', it is not a string.`)
    if (!BASE64_PATTERN.test(encrypted)) {
      // GitHub quotes the value here; the emulator does not, so a client echoing the message leaks nothing.
      return invalid(`For 'properties/encrypted_value', "…" does not match ${String(BASE64_PATTERN)}.`)
    }
    if (keyId === undefined) return invalid('"key_id" wasn\'t supplied.')
    if (typeof keyId !== 'string') return invalid(`For 'properties/key_id', it is not a string.`)

    let access: Access = {}
    if (isOrgKind(scope.kind)) {
      const checked = this.checkVisibility(body, scope)
      if ('status' in checked) return checked
      access = checked
    }
    if (keyId !== scope.keyId) return error(422, IMPROPERLY_ENCRYPTED)
    const value = this.state.open(scope, Buffer.from(encrypted, 'base64'))
    if (value === undefined) return error(422, IMPROPERLY_ENCRYPTED)
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES)
      return invalid('The secret value exceeds the maximum size of 48 KB.')
    const upper = name.toUpperCase()
    if (!scope.secrets.has(upper) && scope.secrets.size >= secretLimit(scope.kind)) {
      return invalid(`This scope already holds the maximum number of secrets (${secretLimit(scope.kind)}).`)
    }
    const result = this.state.store(scope, upper, value, access)
    return result === 'created' ? { status: 201, body: {} } : { status: 204 }
  }

  private createVariable(ctx: Context, scope: Scope): ApiResponse {
    const read = readObject(ctx)
    if ('error' in read) return read.error
    const { body } = read
    const { name, value } = body
    if (name === undefined) return invalid('"name" wasn\'t supplied.')
    if (typeof name !== 'string') return invalid(`For 'properties/name', it is not a string.`)
    const badName = invalidName(name, 'Variable')
    if (badName) return error(422, badName)
    if (value === undefined) return invalid('"value" wasn\'t supplied.')
    const badValue = invalidVariableValue(value)
    if (badValue) return invalid(badValue)
    let access: Access = {}
    if (isOrgKind(scope.kind)) {
      const checked = this.checkVisibility(body, scope)
      if ('status' in checked) return checked
      access = checked
    }
    if (scope.variables.has(name.toUpperCase())) return error(409, 'Already exists')
    this.state.store(scope, name, value as string, access, 'variables')
    return { status: 201, body: {} }
  }

  /** Every field is optional: `name` renames, `value` replaces; on an organization, visibility too. */
  private updateVariable(ctx: Context, scope: Scope): ApiResponse {
    const current = scope.variables.get((ctx.params.name ?? '').toUpperCase())
    if (!current) return NOT_FOUND
    const read = readObject(ctx)
    if ('error' in read) return read.error
    const { body } = read
    const { name = current.name, value = current.value } = body
    if (typeof name !== 'string') return invalid(`For 'properties/name', it is not a string.`)
    const badName = invalidName(name, 'Variable')
    if (badName) return error(422, badName)
    const badValue = invalidVariableValue(value)
    if (badValue) return invalid(badValue)
    let access: Access = { visibility: current.visibility, selectedRepositoryIds: current.selectedRepositoryIds }
    if (isOrgKind(scope.kind) && (body.visibility !== undefined || body.selected_repository_ids !== undefined)) {
      const checked = this.checkVisibility({ visibility: current.visibility, ...body }, scope)
      if ('status' in checked) return checked
      // Staying "selected" without new IDs keeps the current ones.
      access = { ...checked, selectedRepositoryIds: checked.selectedRepositoryIds ?? access.selectedRepositoryIds }
    }
    if (name.toUpperCase() !== current.name && scope.variables.has(name.toUpperCase())) {
      return error(409, 'Already exists')
    }
    this.state.store(scope, name, value as string, access, 'variables', current.name)
    return { status: 204 }
  }

  private checkVisibility(
    body: Record<string, unknown>,
    scope: Scope
  ): { visibility: Visibility; selectedRepositoryIds?: number[] } | ApiResponse {
    const { visibility, selected_repository_ids: ids } = body
    if (visibility === undefined) return invalid('"visibility" wasn\'t supplied.')
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
      return invalid(
        `For 'properties/visibility', "${String(visibility)}" is not one of ["all", "private", "selected"].`
      )
    }
    if (ids === undefined) return { visibility }
    if (visibility !== 'selected') {
      return invalid('"selected_repository_ids" can only be used when visibility is "selected".')
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
      return invalid(`For 'properties/selected_repository_ids', it is not an array of integers.`)
    }
    const foreign = (ids as number[]).filter(
      (id) => this.state.repositoryById(id)?.owner.toLowerCase() !== scope.owner.toLowerCase()
    )
    if (foreign.length > 0) return invalid(`Repository IDs not found in ${scope.owner}: ${foreign.join(', ')}.`)
    return { visibility, selectedRepositoryIds: ids as number[] }
  }
}

/** The JSON object a write sends: 400 when it does not parse, 422 when it is not an object. */
function readObject(ctx: Context): { body: Record<string, unknown> } | { error: ApiResponse } {
  const parsed = parseJson(ctx.request.body)
  if (!parsed.ok) return { error: error(400, 'Problems parsing JSON') }
  if (!isObject(parsed.value)) return { error: invalid('The request body must be a JSON object.') }
  return { body: parsed.value }
}

/** The token in `token X` or `Bearer X`. */
function bearer(header: string): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}
