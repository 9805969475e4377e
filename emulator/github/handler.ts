// GitHub's secrets endpoints for the five scopes (github-secrets-api.md), strict on
// encoding, key IDs, sealed boxes, names, visibility and token permissions.
import { Router, type Params } from '../router.js'
import { isObject, pageParams, parseJson, type ApiHandler, type ApiRequest, type ApiResponse } from '../server.js'
import type { RateLimits } from './limits.js'
import {
  githubTime,
  invalidName,
  isOrgKind,
  MAX_SECRET_BYTES,
  secretLimit,
  type GitHubState,
  type Scope,
  type ScopeKind,
  type SecretRecord,
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
    for (const { kind, base } of FAMILIES) {
      this.router
        .add('GET', `${base}/secrets/public-key`, (c) => this.withScope(c, kind, 'read', (s) => this.publicKey(s)))
        .add('GET', `${base}/secrets`, (c) => this.withScope(c, kind, 'read', (s) => this.listSecrets(c, s)))
        .add('GET', `${base}/secrets/:name`, (c) => this.withScope(c, kind, 'read', (s) => this.getSecret(c, s)))
        .add('PUT', `${base}/secrets/:name`, (c) => this.withScope(c, kind, 'write', (s) => this.putSecret(c, s)))
        .add('DELETE', `${base}/secrets/:name`, (c) => this.withScope(c, kind, 'write', (s) => this.deleteSecret(c, s)))
      if (isOrgKind(kind)) {
        this.router.add('GET', `${base}/secrets/:name/repositories`, (c) =>
          this.withScope(c, kind, 'read', (s) => this.selectedRepositories(c, s))
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
    return this.limits.headers(this.bucketKey(request))
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
    if (!grant) return error(401, 'Bad credentials')
    const bucket = this.bucketKey(request)
    if (request.method === 'GET' && request.path === '/rate_limit') {
      const core = this.limits.status(bucket)
      return { status: 200, body: { resources: { core }, rate: core } }
    }
    if (!this.limits.consume(bucket)) return error(403, 'API rate limit exceeded for this token.')
    const isWrite = request.method === 'PUT' || request.method === 'DELETE'
    if (this.limits.tooConcurrent(request.inFlight) || (isWrite && !this.limits.admitWrite())) {
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

  /** Resolves the scope in the URL: 404 for what the token cannot see or what does not exist, 403 without permission. */
  private withScope(
    ctx: Context,
    kind: ScopeKind,
    need: 'read' | 'write',
    handler: (scope: Scope) => ApiResponse
  ): ApiResponse {
    const { params, grant } = ctx
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

  private secretJson(ctx: Context, scope: Scope, secret: SecretRecord) {
    const body: Record<string, unknown> = {
      name: secret.name,
      created_at: githubTime(secret.createdAt),
      updated_at: githubTime(secret.updatedAt)
    }
    if (isOrgKind(scope.kind)) {
      body.visibility = secret.visibility
      if (secret.visibility === 'selected') {
        body.selected_repositories_url = `${ctx.request.baseUrl}/orgs/${scope.owner}/${scope.kind === 'org' ? 'actions' : 'dependabot'}/secrets/${secret.name}/repositories`
      }
    }
    return body
  }

  private listSecrets(ctx: Context, scope: Scope): ApiResponse {
    const paging = pageParams(ctx.request.query, 30)
    if (!paging) return invalid('page and per_page must be positive integers.')
    const all = [...scope.secrets.values()].sort((a, b) => a.name.localeCompare(b.name))
    const start = (paging.page - 1) * paging.perPage
    const secrets = all.slice(start, start + paging.perPage).map((s) => this.secretJson(ctx, scope, s))
    return { status: 200, body: { total_count: all.length, secrets } }
  }

  private getSecret(ctx: Context, scope: Scope): ApiResponse {
    const secret = scope.secrets.get((ctx.params.name ?? '').toUpperCase())
    return secret ? { status: 200, body: this.secretJson(ctx, scope, secret) } : NOT_FOUND
  }

  private deleteSecret(ctx: Context, scope: Scope): ApiResponse {
    return scope.secrets.delete((ctx.params.name ?? '').toUpperCase()) ? { status: 204 } : NOT_FOUND
  }

  private selectedRepositories(ctx: Context, scope: Scope): ApiResponse {
    const secret = scope.secrets.get((ctx.params.name ?? '').toUpperCase())
    if (!secret) return NOT_FOUND
    if (secret.visibility !== 'selected') return error(409, 'The secret\'s visibility is not "selected".')
    const paging = pageParams(ctx.request.query, 30)
    if (!paging) return invalid('page and per_page must be positive integers.')
    const repos = (secret.selectedRepositoryIds ?? []).flatMap((id) => this.state.repositoryById(id) ?? [])
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
    const parsed = parseJson(ctx.request.body)
    if (!parsed.ok) return error(400, 'Problems parsing JSON')
    const body = parsed.value
    if (!isObject(body)) return invalid('The request body must be a JSON object.')
    const { encrypted_value: encrypted, key_id: keyId } = body
    if (encrypted === undefined) return invalid('"encrypted_value" wasn\'t supplied.')
    if (typeof encrypted !== 'string') return invalid(`For 'properties/encrypted_value', it is not a string.`)
    if (!BASE64_PATTERN.test(encrypted)) {
      // GitHub quotes the value here; the emulator does not, so a client echoing the message leaks nothing.
      return invalid(`For 'properties/encrypted_value', "…" does not match ${String(BASE64_PATTERN)}.`)
    }
    if (keyId === undefined) return invalid('"key_id" wasn\'t supplied.')
    if (typeof keyId !== 'string') return invalid(`For 'properties/key_id', it is not a string.`)

    let access: { visibility?: Visibility; selectedRepositoryIds?: number[] } = {}
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

/** The token in `token X` or `Bearer X`. */
function bearer(header: string): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}
