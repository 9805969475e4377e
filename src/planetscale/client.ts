// The PlanetScale endpoints the action uses, bound to one organization and one credential.
import { PlanetScaleError, errorMessage } from '../errors.js'
import type { CreatedToken, Grant, PlanetScaleApi, ServiceToken, TokenAccess } from './types.js'
import {
  type CredentialsProbe,
  failureError,
  grantRefusedError,
  notDeletedError,
  notFoundError,
  type Operation,
  unexpectedAnswerError
} from './errors.js'
import { createHttp, type HttpOptions, type HttpOutcome, type HttpRequest, type Send } from './http.js'
import {
  organizationsPath,
  serviceTokenAccessPagePath,
  serviceTokenAccessPath,
  serviceTokenPath,
  serviceTokensPagePath,
  serviceTokensPath
} from './paths.js'

export interface PlanetScaleClientOptions extends HttpOptions {
  organization: string
  /**
   * Called with every secret an answer carries (a new token's `token`, any
   * `plain_text_refresh_token`) as soon as the answer arrives, before anything else is done
   * with it (the action passes core.setSecret and registers it for redaction).
   */
  onSecret: (value: string) => void
}

/** Tokens (and accesses) a list page asks for: PlanetScale's most. */
export const PER_PAGE = 100
/** 100 000 tokens: far beyond any organization; stops a server that pages forever. */
const MAX_PAGES = 1000
/** How far PlanetScale's clock may be behind ours when matching a token to the create that made it. */
const LOST_CREATE_CLOCK_SKEW_MS = 5 * 60_000
/** Fields whose string value is a secret, wherever they appear in an answer (planetscale-api.md). */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['token', 'plain_text_refresh_token'])
/** Deep enough for a token inside a list page (body → data → item → field). */
const MAX_SECRET_DEPTH = 4
/** Statuses with which PlanetScale may refuse the grant endpoint to a service token. */
const GRANT_REFUSALS: ReadonlySet<number> = new Set([401, 403, 404])

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function succeeded(outcome: HttpOutcome): outcome is Extract<HttpOutcome, { kind: 'response' }> {
  return outcome.kind === 'response' && outcome.status >= 200 && outcome.status <= 299
}

function isNotFound(outcome: HttpOutcome): boolean {
  return outcome.kind === 'response' && outcome.status === 404
}

/**
 * The fields the protocol relies on, checked. Secrets are kept nowhere: `token` is returned by
 * createToken alone, and a refresh token never (both were masked on arrival). Accesses are kept
 * only when the record lists them: the field is optional, and its absence says nothing.
 */
function toServiceToken(value: unknown): ServiceToken | undefined {
  if (!isObject(value) || typeof value.id !== 'string' || value.id === '' || typeof value.created_at !== 'string') {
    return undefined
  }
  const expiresAt = value.expires_at
  if (expiresAt !== undefined && expiresAt !== null && typeof expiresAt !== 'string') return undefined
  const { token: _secret, plain_text_refresh_token: _refresh, service_token_accesses: accesses, ...rest } = value
  const token = { ...rest, id: value.id, created_at: value.created_at, expires_at: expiresAt ?? null } as ServiceToken
  if (Array.isArray(accesses)) token.service_token_accesses = accesses as TokenAccess[]
  return token
}

/**
 * An item of the flat `GET .../access` list, `{id, type, access, resource: {id, type, name}}`, in
 * the shape of `service_token_accesses`. The resource's type says what the access is on
 * (planetscale-go reads a Database or an Organization there); the item's `type`
 * ("DatabaseAccess") stands in when it is missing. Any other type is kept, so that copying the
 * access fails loudly (accesses.ts) rather than dropping it.
 */
function fromFlatAccess(value: unknown): TokenAccess | undefined {
  if (!isObject(value) || typeof value.access !== 'string' || value.access === '') return undefined
  const resource = isObject(value.resource) ? value.resource : {}
  const itemType = typeof value.type === 'string' ? value.type.replace(/Access$/, '') : undefined
  const type = typeof resource.type === 'string' ? resource.type : itemType
  const name = typeof resource.name === 'string' ? resource.name : undefined
  const id = typeof resource.id === 'string' ? resource.id : undefined
  return {
    ...(typeof value.id === 'string' && { id: value.id }),
    access: value.access,
    resource_type: type ?? null,
    resource_name: name ?? null,
    resource_id: id ?? null,
    resource: {
      ...(id !== undefined && { id }),
      ...(name !== undefined && { name }),
      deleted_at: typeof resource.deleted_at === 'string' ? resource.deleted_at : null
    }
  }
}

export function createPlanetScaleClient(options: PlanetScaleClientOptions): PlanetScaleApi {
  const { organization, onSecret } = options
  const now = options.now ?? Date.now

  const masked = new Set<string>()
  const mask = (value: string): void => {
    if (value === '' || masked.has(value)) return
    masked.add(value)
    onSecret(value)
  }
  function maskSecrets(value: unknown, depth = 0): void {
    if (depth > MAX_SECRET_DEPTH || typeof value !== 'object' || value === null) return
    for (const [key, field] of Object.entries(value)) {
      if (SECRET_FIELDS.has(key) && typeof field === 'string') mask(field)
      else maskSecrets(field, depth + 1)
    }
  }
  /** Every answer, error answers included, has its secrets masked before anyone reads it. */
  const masking =
    (via: Send): Send =>
    async (request) => {
      const outcome = await via(request)
      if (outcome.kind === 'response') maskSecrets(outcome.body)
      return outcome
    }
  const send = masking(createHttp(options))
  // For best-effort lookups after a failure: one try, so the failure is reported without delay.
  const sendOnce = masking(createHttp({ ...options, maxAttempts: 1 }))

  const op = (step: string, needs: readonly string[], subject: string, extra: Partial<Operation> = {}): Operation => ({
    step,
    organization,
    needs,
    subject,
    ...extra
  })

  async function probeCredentials(): Promise<CredentialsProbe> {
    try {
      return { ok: true, organizations: await listOrganizations() }
    } catch (error) {
      if (error instanceof PlanetScaleError) return { ok: false, error }
      throw error
    }
  }

  /** The parsed body of a 2xx answer; anything else becomes a PlanetScaleError. */
  async function call(
    operation: Operation,
    request: HttpRequest,
    via = send
  ): Promise<{ body: unknown; outcome: HttpOutcome }> {
    const outcome = await via(request)
    if (succeeded(outcome)) return { body: outcome.body, outcome }
    if (isNotFound(outcome)) throw notFoundError(operation, outcome, await probeCredentials())
    throw failureError(operation, outcome)
  }

  async function listOrganizations(): Promise<string[]> {
    const operation = op('list organizations', [], 'the organization list')
    const outcome = await send({ method: 'GET', path: organizationsPath(), idempotent: true })
    // No 404 check here: this is the check, and a 404 on it means bad credentials.
    if (!succeeded(outcome)) throw failureError(operation, outcome)
    const data = isObject(outcome.body) ? outcome.body.data : undefined
    if (!Array.isArray(data)) throw unexpectedAnswerError(operation, outcome, 'had no organization list')
    return data.flatMap((item) => (isObject(item) && typeof item.name === 'string' ? [item.name] : []))
  }

  /** Every item of a paged list (`what` names one), following `next_page`. */
  async function readPages<T>(
    operation: Operation,
    pagePath: (page: number) => string,
    what: string,
    read: (item: unknown) => T | undefined,
    via: Send
  ): Promise<T[]> {
    const items: T[] = []
    for (let page = 1, fetched = 1; ; fetched++) {
      const { body, outcome } = await call(operation, { method: 'GET', path: pagePath(page), idempotent: true }, via)
      const data = isObject(body) ? body.data : undefined
      if (!Array.isArray(data)) throw unexpectedAnswerError(operation, outcome, `page ${page} had no ${what} list`)
      for (const item of data) {
        const value = read(item)
        if (value === undefined) throw unexpectedAnswerError(operation, outcome, `page ${page} had a malformed ${what}`)
        items.push(value)
      }
      const next = isObject(body) ? body.next_page : undefined
      if (next === null || next === undefined) return items
      if (typeof next !== 'number' || !Number.isInteger(next) || next <= page || fetched >= MAX_PAGES) {
        throw unexpectedAnswerError(operation, outcome, `page ${page} pointed to an invalid next page`)
      }
      page = next
    }
  }

  async function listTokens(via = send): Promise<ServiceToken[]> {
    const operation = op('list tokens', ['read_service_tokens'], `organization "${organization}"`)
    return readPages(
      operation,
      (page) => serviceTokensPagePath(organization, page, PER_PAGE),
      'token',
      toServiceToken,
      via
    )
  }

  /** The flat `GET .../service-tokens/{id}/access`: a token's accesses when its record does not list them. */
  async function readAccesses(id: string, via = send): Promise<TokenAccess[]> {
    const operation = op(`read the accesses of token ${id}`, ['read_service_tokens'], `token "${id}"`)
    return readPages(
      operation,
      (page) => serviceTokenAccessPagePath(organization, id, page, PER_PAGE),
      'access',
      fromFlatAccess,
      via
    )
  }

  async function getToken(id: string): Promise<ServiceToken> {
    const operation = op(`read token ${id}`, ['read_service_tokens'], `organization "${organization}" or token "${id}"`)
    const { body, outcome } = await call(operation, {
      method: 'GET',
      path: serviceTokenPath(organization, id),
      idempotent: true
    })
    const token = toServiceToken(body)
    if (token === undefined) throw unexpectedAnswerError(operation, outcome, 'was not a service token')
    // A record without `service_token_accesses` says nothing about them (the field is optional).
    return { ...token, service_token_accesses: token.service_token_accesses ?? (await readAccesses(id)) }
  }

  async function createToken({ name, ttlSeconds }: { name?: string; ttlSeconds?: number }): Promise<CreatedToken> {
    const named = name === undefined ? 'it' : `any token named "${name}"`
    const operation = op('create token', ['write_service_tokens'], `organization "${organization}"`, {
      onRejected: 'check ttl (PlanetScale refuses one out of range) and token-name',
      onUncertain:
        `The token may have been created anyway; the request was not repeated so as not to create two. ` +
        `Run the action with command: list, and delete ${named} that no secret uses.`
    })
    const body: { name?: string; ttl?: number } = {}
    if (name !== undefined) body.name = name
    if (ttlSeconds !== undefined) body.ttl = ttlSeconds
    const sentAt = now()
    const outcome = await send({ method: 'POST', path: serviceTokensPath(organization), body, idempotent: false })
    if (!succeeded(outcome)) {
      if (outcome.uncertain) throw failureError(await afterLostCreate(operation, name, sentAt), outcome)
      if (isNotFound(outcome)) throw notFoundError(operation, outcome, await probeCredentials())
      throw failureError(operation, outcome)
    }
    const answer = outcome.body
    const secret = isObject(answer) ? answer.token : undefined
    if (typeof secret !== 'string' || secret === '') {
      throw unexpectedAnswerError(await afterLostCreate(operation, name, sentAt), outcome, 'had no token secret', true)
    }
    mask(secret) // masked on arrival already; repeated here, where the secret is taken, so as not to rely on the walk
    const token = toServiceToken(answer)
    if (token === undefined) throw unexpectedAnswerError(operation, outcome, 'was not a service token', true)
    return { ...token, token: secret }
  }

  /**
   * A create whose answer was lost (or came without the secret) may still have made a token that
   * nobody can use: its secret exists nowhere. Such a token is found by its name, and by what no
   * other token can look like: created since the request, never used, no accesses. It is deleted,
   * and the operation's advice says what was found. Returns the operation to report with.
   */
  async function afterLostCreate(operation: Operation, name: string | undefined, sentAt: number): Promise<Operation> {
    if (name === undefined) return operation
    const lost: ServiceToken[] = []
    try {
      const candidates = (await listTokens(sendOnce)).filter(
        (t) => t.name === name && !t.last_used_at && Date.parse(t.created_at) >= sentAt - LOST_CREATE_CLOCK_SKEW_MS
      )
      for (const t of candidates) {
        // A list item without the field says nothing about its accesses: they are read.
        const accesses = t.service_token_accesses ?? (await readAccesses(t.id, sendOnce))
        if (accesses.length === 0) lost.push(t)
      }
    } catch (error) {
      options.log?.debug(`Looking for a token the lost create answer may have made failed: ${errorMessage(error)}`)
      return operation
    }
    const deleted: string[] = []
    const left: string[] = []
    for (const token of lost) {
      try {
        await deleteToken(token.id)
        deleted.push(token.id)
      } catch (error) {
        options.log?.debug(
          `Deleting token ${token.id}, made by a create whose answer was lost, failed: ${errorMessage(error)}`
        )
        left.push(token.id)
      }
    }
    let onUncertain: string
    if (left.length > 0) {
      onUncertain =
        `PlanetScale made token ${left.join(', ')} anyway, and deleting it failed: nobody has its secret; ` +
        `delete it with command: delete and token-id: ${left[0]}.`
    } else if (deleted.length > 0) {
      onUncertain =
        `PlanetScale had made the token anyway (${deleted.join(', ')}); ` +
        'nobody had its secret, so it was deleted. Nothing was changed: re-run.'
    } else {
      onUncertain =
        `No token named "${name}" was found afterwards, so none is left behind; nothing was changed: re-run ` +
        `(should command: list later show a token of that name that no secret uses, delete it).`
    }
    return { ...operation, onUncertain }
  }

  async function deleteToken(id: string): Promise<'deleted' | 'already-deleted'> {
    const operation = op(`delete token ${id}`, ['delete_service_tokens'], `token "${id}"`)
    const outcome = await send({ method: 'DELETE', path: serviceTokenPath(organization, id), idempotent: true })
    if (succeeded(outcome)) return 'deleted'
    if (!isNotFound(outcome)) throw failureError(operation, outcome)
    // A 404 is "already gone" only once the same credentials are proven to work.
    const probe = await probeCredentials()
    if (!probe.ok) throw notFoundError(operation, outcome, probe)
    // PlanetScale also answers 404 when the caller lacks delete_service_tokens: a token that can
    // still be read was not deleted.
    const still = await send({ method: 'GET', path: serviceTokenPath(organization, id), idempotent: true })
    if (succeeded(still) && toServiceToken(still.body)?.id === id) {
      throw notDeletedError(operation, outcome)
    }
    return 'already-deleted'
  }

  async function grantAccess(id: string, grant: Grant): Promise<void> {
    const onDatabase = grant.database !== ''
    const operation = op(
      onDatabase ? `grant accesses on database "${grant.database}"` : 'grant organization accesses',
      // A token can only grant accesses it holds itself.
      [...new Set(['write_service_tokens', ...grant.access])],
      onDatabase ? `database "${grant.database}" or token "${id}"` : `token "${id}"`,
      { onRejected: `check the access names (${grant.access.join(', ')}): PlanetScale refuses unknown ones` }
    )
    // Granting the same accesses twice is harmless, so a grant is retried like a read.
    const outcome = await send({
      method: 'POST',
      path: serviceTokenAccessPath(organization, id),
      body: { database: grant.database, access: grant.access },
      idempotent: true
    })
    if (outcome.kind === 'response' && GRANT_REFUSALS.has(outcome.status)) {
      throw grantRefusedError(operation, outcome, await probeCredentials())
    }
    if (!succeeded(outcome)) throw failureError(operation, outcome)
  }

  return { listOrganizations, listTokens: () => listTokens(), getToken, createToken, deleteToken, grantAccess }
}
