// The SecretsApi: prepare a target (public key, organization visibility) during the
// check step, then seal and write secrets into it.
import type { Octokit } from '@octokit/rest'
import { GitHubTargetError } from '../errors.js'
import { VISIBILITIES, type TargetSpec, type Visibility } from '../inputs/targets.js'
import type { Logger } from '../rotation/ports.js'
import type { PreparedTarget, SecretsApi } from './types.js'
import { httpStatus, isAbort, isImproperlyEncrypted, toTargetError } from './errors.js'
import { trackPrimaryBudget, WRITES_RESERVED_PER_TARGET } from './rate-limit.js'
import { decodePublicKey, sealSecret, warmUpSealing } from './seal.js'
import { isOrgScope, scopeFor, type OrgAccess, type OrgScope, type PublicKey, type Scope } from './scopes.js'

const PER_PAGE = 100

export interface SecretsApiOptions {
  octokit: Octokit
  log: Logger
}

export function createSecretsApi({ octokit, log }: SecretsApiOptions): SecretsApi {
  // Promises, so targets sharing a scope (or a repository) share one request, even
  // when prepared in parallel.
  const keys = new Map<string, Promise<PublicKey>>()
  const repositoryIds = new Map<string, Promise<number>>()
  const budget = trackPrimaryBudget(octokit)
  let targetsPrepared = 0
  let budgetReported = false

  /** Refuses to go on when the hourly budget cannot cover every target's writes (one report per run). */
  function checkBudget(spec: TargetSpec): void {
    const latest = budget.latest()
    const needed = WRITES_RESERVED_PER_TARGET * targetsPrepared
    if (latest === undefined || latest.remaining >= needed || budgetReported) return
    budgetReported = true
    const reset = latest.resetAt ? `; it resets at ${latest.resetAt.toISOString()}` : ''
    throw new GitHubTargetError(
      `${spec.label}: GitHub's rate limit leaves the github-token ${latest.remaining} request(s) this hour${reset}. ` +
        `Writing ${targetsPrepared} target(s) safely needs up to ${needed} ` +
        '(each pair, and writing the old pair back if a write fails). ' +
        'Nothing was changed: re-run after the reset, or with fewer targets.',
      spec.label,
      'check the rate limit',
      undefined
    )
  }

  function publicKey(scope: Scope): Promise<PublicKey> {
    return shared(keys, scope.id, async () => {
      const { key_id, key } = await scope.getPublicKey()
      decodePublicKey(key) // a bad key fails the check step, not a write
      // The check step's requests are all sent by now: load the sealing code while they are answered.
      warmUpSealing()
      return { key_id: String(key_id), key }
    })
  }

  /** Re-read a key GitHub rejected, unless another write already did. */
  function refreshedKey(scope: Scope, rejected: Promise<PublicKey>): Promise<PublicKey> {
    if (keys.get(scope.id) === rejected) keys.delete(scope.id)
    return publicKey(scope)
  }

  function repositoryId(owner: string, repo: string): Promise<number> {
    return shared(repositoryIds, `${owner}/${repo}`.toLowerCase(), async () => {
      return (await octokit.rest.repos.get({ owner, repo })).data.id
    })
  }

  async function explicitAccess(spec: OrgTarget, visibility: Visibility): Promise<OrgAccess> {
    if (visibility !== 'selected') return { visibility }
    const names = [...new Set(spec.selectedRepositories ?? [])]
    const ids = await Promise.all(
      names.map(async (name) => {
        const [owner, repo] = name.includes('/') ? splitOnce(name) : [spec.org, name]
        try {
          return await repositoryId(owner, repo)
        } catch (error) {
          throw toTargetError(error, spec, `resolve repository ${name}`)
        }
      })
    )
    return { visibility, selected_repository_ids: [...new Set(ids)] }
  }

  /** Every PUT re-sets visibility, so an existing secret's access is read and sent back. */
  async function existingAccess(spec: OrgTarget, scope: OrgScope, name: string): Promise<OrgAccess> {
    const step = `read existing org secret ${name}`
    try {
      let visibility: string
      try {
        visibility = await scope.getSecretVisibility(name)
      } catch (error) {
        if (httpStatus(error) !== 404) throw error
        log.debug(`${spec.label}: ${name} is a new secret; it will be private`)
        return { visibility: 'private' }
      }
      if (!isVisibility(visibility)) {
        throw new Error(
          `the existing secret has visibility "${visibility}", which the action cannot keep; ` +
            'set visibility= on the target line'
        )
      }
      log.debug(`${spec.label}: ${name} exists with visibility ${visibility}; keeping it`)
      if (visibility !== 'selected') return { visibility }
      return { visibility, selected_repository_ids: await selectedRepositoryIds(scope, name) }
    } catch (error) {
      throw toTargetError(error, spec, step)
    }
  }

  async function settleAccess(
    spec: OrgTarget,
    scope: OrgScope,
    secretNames: readonly string[]
  ): Promise<(name: string) => OrgAccess> {
    if (spec.visibility !== undefined) {
      const access = await explicitAccess(spec, spec.visibility)
      return () => access
    }
    const names = [...new Set(secretNames)]
    const settled = new Map(
      await Promise.all(names.map(async (name) => [name, await existingAccess(spec, scope, name)] as const))
    )
    return (name) => {
      const access = settled.get(name)
      if (!access) throw new Error(`secret ${name} was not named when the target was prepared`)
      return access
    }
  }

  return {
    async prepare(spec, secretNames) {
      targetsPrepared++
      const scope = scopeFor(octokit, spec)
      const keyRead = publicKey(scope).catch((error: unknown) => {
        throw toTargetError(error, spec, 'read public key')
      })
      const [, accessFor] = await Promise.all([
        keyRead,
        isOrgScope(scope) && isOrgTarget(spec) ? settleAccess(spec, scope, secretNames) : undefined
      ])
      checkBudget(spec)

      async function put(name: string, value: string, key: PublicKey, signal?: AbortSignal) {
        if (signal?.aborted) throw abortReason(signal)
        const sealed = { encrypted_value: await sealSecret(value, key.key), key_id: key.key_id }
        const status = await abortable(scope.putSecret(name, sealed, accessFor?.(name), { signal }), signal)
        return status === 201 ? ('created' as const) : ('updated' as const)
      }

      return {
        spec,
        async writeSecret(name, value, signal) {
          const step = `write secret ${name}`
          const used = publicKey(scope)
          try {
            return await put(name, value, await used, signal)
          } catch (error) {
            if (!isImproperlyEncrypted(error)) throw toTargetError(error, spec, step)
          }
          // GitHub rotated the scope's key since it was read: read it again, retry once.
          log.warning(`${spec.label}: GitHub could not decrypt ${name}; reading the public key again and retrying once`)
          let fresh: PublicKey
          try {
            fresh = await refreshedKey(scope, used)
          } catch (error) {
            throw toTargetError(error, spec, 'read public key')
          }
          try {
            return await put(name, value, fresh, signal)
          } catch (error) {
            throw toTargetError(error, spec, step)
          }
        }
      } satisfies PreparedTarget
    }
  }
}

type OrgTarget = Extract<TargetSpec, { kind: 'org' | 'dependabot-org' }>

function isOrgTarget(spec: TargetSpec): spec is OrgTarget {
  return spec.kind === 'org' || spec.kind === 'dependabot-org'
}

/** One load per key while it is pending or succeeded; a failure is forgotten so a later call tries again. */
function shared<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  const cached = cache.get(key)
  if (cached) return cached
  const loading = load()
  cache.set(key, loading)
  loading.catch(() => {
    if (cache.get(key) === loading) cache.delete(key)
  })
  return loading
}

function isVisibility(value: string): value is Visibility {
  return (VISIBILITIES as readonly string[]).includes(value)
}

async function selectedRepositoryIds(scope: OrgScope, name: string): Promise<number[]> {
  // Paged by number until a short page, not by Link headers: GHES proxies and the
  // emulator are not guaranteed to send them.
  const ids: number[] = []
  for (let page = 1; ; page++) {
    const { total_count, repositoryIds } = await scope.listSelectedRepositories(name, page, PER_PAGE)
    ids.push(...repositoryIds)
    if (repositoryIds.length < PER_PAGE || ids.length >= total_count) return ids
  }
}

function splitOnce(name: string): [string, string] {
  const slash = name.indexOf('/')
  return [name.slice(0, slash), name.slice(slash + 1)]
}

/** Settle as soon as `signal` aborts: a request queued behind a rate-limit wait would otherwise hold the run. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}

/** An abort as an error named AbortError/TimeoutError, whatever reason the caller gave. */
function abortReason(signal: AbortSignal): Error {
  return isAbort(signal.reason) ? (signal.reason as Error) : new DOMException(String(signal.reason), 'AbortError')
}
