// The SecretsApi: prepare a target (public key, organization visibility) during the
// check step, then seal and write secrets into it.
import type { GitHubClient as Octokit } from './octokit.js'
import { GitHubTargetError } from '../errors.js'
import { VISIBILITIES, type TargetSpec, type Visibility } from '../inputs/targets.js'
import type { Logger } from '../rotation/ports.js'
import type { PreparedTarget, SecretsApi } from './types.js'
import { dependabotUnavailable, httpStatus, isAbort, isImproperlyEncrypted, toTargetError } from './errors.js'
import { trackPrimaryBudget, WRITES_RESERVED_PER_TARGET } from './rate-limit.js'
import { decodePublicKey, sealSecret, warmUpSealing } from './seal.js'
import {
  isOrgScope,
  scopeFor,
  shadowReader,
  type OrgAccess,
  type OrgScope,
  type PublicKey,
  type Scope,
  type SelectedRepositories
} from './scopes.js'
import { findShadowing, type OrgReach, type RepoRef } from './shadowing.js'

const PER_PAGE = 100

export interface SecretsApiOptions {
  octokit: Octokit
  log: Logger
}

/** What the check step settles for an organization target: how each secret is written, and whom it reaches. */
interface OrgSettled {
  accessFor(name: string): OrgAccess
  reachFor(name: string): OrgReach
}

export function createSecretsApi({ octokit, log }: SecretsApiOptions): SecretsApi {
  // Promises, so targets sharing a scope (or a repository) share one request, even
  // when prepared in parallel.
  const keys = new Map<string, Promise<PublicKey>>()
  const repositories = new Map<string, Promise<{ id: number; private: boolean }>>()
  // Shared by the target's preparation and the check for shadowed copies.
  const orgs = new Map<string, Promise<OrgSettled>>()
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

  function repository(owner: string, repo: string): Promise<{ id: number; private: boolean }> {
    return shared(repositories, `${owner}/${repo}`.toLowerCase(), async () => {
      const { data } = await octokit.rest.repos.get({ owner, repo })
      return { id: data.id, private: data.private }
    })
  }

  /**
   * A Dependabot public key answered 404: is the place there, with Actions secrets the token can read
   * (or, for a repository, private and visible to the token)? Then Dependabot is what is missing.
   */
  async function dependabotMissing(spec: TargetSpec): Promise<boolean> {
    const readable = (probe: Promise<unknown>) =>
      probe.then(
        () => true,
        () => false
      )
    if (spec.kind === 'dependabot-org') {
      return readable(publicKey(scopeFor(octokit, { kind: 'org', label: `org:${spec.org}`, org: spec.org })))
    }
    if (spec.kind !== 'dependabot') return false
    const { owner, repo } = spec
    const [actionsKey, privateRepo] = await Promise.all([
      readable(publicKey(scopeFor(octokit, { kind: 'repo', label: `repo:${owner}/${repo}`, owner, repo }))),
      repository(owner, repo).then(
        (r) => r.private,
        () => false
      )
    ])
    return actionsKey || privateRepo
  }

  async function explicitAccess(spec: OrgTarget, visibility: Visibility): Promise<OrgAccess> {
    if (visibility !== 'selected') return { visibility }
    const names = [...new Set(spec.selectedRepositories ?? [])]
    const ids = await Promise.all(
      names.map(async (name) => {
        const [owner, repo] = name.includes('/') ? splitOnce(name) : [spec.org, name]
        try {
          return (await repository(owner, repo)).id
        } catch (error) {
          throw toTargetError(error, spec, `resolve repository ${name}`)
        }
      })
    )
    return { visibility, selected_repository_ids: [...new Set(ids)] }
  }

  /** Every PUT re-sets visibility, so an existing secret's access is read and sent back. */
  async function existingAccess(
    spec: OrgTarget,
    scope: OrgScope,
    name: string
  ): Promise<{ access: OrgAccess; reach: OrgReach }> {
    const step = `read existing org secret ${name}`
    try {
      let visibility: string
      try {
        visibility = await scope.getSecretVisibility(name)
      } catch (error) {
        if (httpStatus(error) !== 404) throw error
        log.debug(`${spec.label}: ${name} is a new secret; it will be private`)
        return { access: { visibility: 'private' }, reach: { kind: 'unlisted', visibility: 'private' } }
      }
      if (!isVisibility(visibility)) {
        throw new Error(
          `the existing secret has visibility "${visibility}", which the action cannot keep; ` +
            'set visibility= on the target line'
        )
      }
      log.debug(`${spec.label}: ${name} exists with visibility ${visibility}; keeping it`)
      if (visibility !== 'selected') return { access: { visibility }, reach: { kind: 'unlisted', visibility } }
      const selected = await selectedRepositories(scope, name)
      return {
        access: { visibility, selected_repository_ids: selected.map((r) => r.id) },
        reach: {
          kind: 'selected',
          repositories: selected.flatMap(({ owner, repo }) => (owner && repo ? [{ owner, repo }] : []))
        }
      }
    } catch (error) {
      throw toTargetError(error, spec, step)
    }
  }

  async function settleAccess(spec: OrgTarget, scope: OrgScope, secretNames: readonly string[]): Promise<OrgSettled> {
    if (spec.visibility !== undefined) {
      const access = await explicitAccess(spec, spec.visibility)
      const reach = explicitReach(spec, spec.visibility)
      return { accessFor: () => access, reachFor: () => reach }
    }
    const names = [...new Set(secretNames)]
    const settled = new Map(
      await Promise.all(names.map(async (name) => [name, await existingAccess(spec, scope, name)] as const))
    )
    const of = (name: string) => {
      const found = settled.get(name)
      if (!found) throw new Error(`secret ${name} was not named when the target was prepared`)
      return found
    }
    return { accessFor: (name) => of(name).access, reachFor: (name) => of(name).reach }
  }

  function settle(spec: OrgTarget, scope: OrgScope, secretNames: readonly string[]): Promise<OrgSettled> {
    const key = `${spec.label.toLowerCase()} ${[...new Set(secretNames)].join(',')}`
    return shared(orgs, key, () => settleAccess(spec, scope, secretNames))
  }

  return {
    async prepare(spec, secretNames) {
      targetsPrepared++
      const scope = scopeFor(octokit, spec)
      const keyRead = publicKey(scope).catch(async (error: unknown) => {
        if (httpStatus(error) === 404 && (await dependabotMissing(spec))) throw dependabotUnavailable(error, spec)
        throw toTargetError(error, spec, 'read public key')
      })
      const [, org] = await Promise.all([
        keyRead,
        isOrgScope(scope) && isOrgTarget(spec) ? settle(spec, scope, secretNames) : undefined
      ])
      const accessFor = org?.accessFor
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
    },

    async findShadowedCopies(targets, secretNames) {
      const reaches = new Map<string, (name: string) => OrgReach | undefined>()
      await Promise.all(
        targets.map(async (spec) => {
          const scope = scopeFor(octokit, spec)
          if (spec.kind !== 'org' || !isOrgScope(scope)) return
          try {
            reaches.set(spec.label, (await settle(spec, scope, secretNames)).reachFor)
          } catch {
            // The target's own preparation reports why its secrets could not be read.
          }
        })
      )
      return findShadowing(shadowReader(octokit), targets, secretNames, reaches)
    }
  }
}

/** Whom an organization secret with the visibility of its target line reaches. */
function explicitReach(spec: OrgTarget, visibility: Visibility): OrgReach {
  if (visibility !== 'selected') return { kind: 'unlisted', visibility }
  const repositories: RepoRef[] = (spec.selectedRepositories ?? []).map((name) => {
    const [owner, repo] = name.includes('/') ? splitOnce(name) : [spec.org, name]
    return { owner, repo }
  })
  return { kind: 'selected', repositories }
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

async function selectedRepositories(scope: OrgScope, name: string): Promise<SelectedRepositories['repositories']> {
  // Paged by number until a short page, not by Link headers: GHES proxies and the
  // emulator are not guaranteed to send them.
  const all: SelectedRepositories['repositories'] = []
  for (let page = 1; ; page++) {
    const { total_count, repositories } = await scope.listSelectedRepositories(name, page, PER_PAGE)
    all.push(...repositories)
    if (repositories.length < PER_PAGE || all.length >= total_count) return all
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
