// One secrets store/level of GitHub ("scope"): the Octokit calls that read its public
// key and write a secret in it. Every scope has its own key.
import type { GitHubClient as Octokit } from './octokit.js'
import type { TargetSpec, Visibility } from '../inputs/targets.js'
import type { SecretEntry, ShadowReader } from './shadowing.js'

export interface PublicKey {
  key_id: string
  key: string
}

export interface SealedValue {
  encrypted_value: string
  key_id: string
}

/** How an organization secret is shared; re-sent with every write. */
export interface OrgAccess {
  visibility: Visibility
  /** With `selected` only. */
  selected_repository_ids?: number[]
}

type RequestOptions = { signal?: AbortSignal }

export interface Scope {
  /** Identifies the scope, hence its public key, across targets. */
  readonly id: string
  getPublicKey(): Promise<PublicKey>
  /** PUT the secret; resolves to the HTTP status (201 created, 204 updated). */
  putSecret(name: string, sealed: SealedValue, access: OrgAccess | undefined, request: RequestOptions): Promise<number>
}

export interface OrgScope extends Scope {
  readonly org: string
  /** `GET <scope>/secrets/{name}`: the existing secret's visibility. */
  getSecretVisibility(name: string): Promise<string>
  /** One page of `GET <scope>/secrets/{name}/repositories`. */
  listSelectedRepositories(name: string, page: number, perPage: number): Promise<SelectedRepositories>
}

export interface SelectedRepositories {
  total_count: number
  /** `owner` and `repo` are absent when the answer leaves out the names (only the IDs are needed to write). */
  repositories: { id: number; owner?: string; repo?: string }[]
}

type RepositoryJson = { id: number; name?: string; owner?: { login?: string } | null }

function selected(data: { total_count: number; repositories: RepositoryJson[] }): SelectedRepositories {
  return {
    total_count: data.total_count,
    repositories: data.repositories.map((r) => ({ id: r.id, owner: r.owner?.login, repo: r.name }))
  }
}

export function scopeFor(octokit: Octokit, spec: TargetSpec): Scope | OrgScope {
  const { actions, dependabot } = octokit.rest
  switch (spec.kind) {
    case 'repo': {
      const { owner, repo } = spec
      return {
        id: `repo:${owner}/${repo}`.toLowerCase(),
        getPublicKey: async () => (await actions.getRepoPublicKey({ owner, repo })).data,
        putSecret: async (secret_name, sealed, _access, request) =>
          (await actions.createOrUpdateRepoSecret({ owner, repo, secret_name, ...sealed, request })).status
      }
    }
    case 'environment': {
      // Octokit encodes the raw name once ("a/b c" → "a%2Fb%20c"); pre-encoding would double it.
      const { owner, repo, environment: environment_name } = spec
      return {
        id: `environment:${owner}/${repo}`.toLowerCase() + `/${environment_name}`,
        getPublicKey: async () => (await actions.getEnvironmentPublicKey({ owner, repo, environment_name })).data,
        putSecret: async (secret_name, sealed, _access, request) =>
          (
            await actions.createOrUpdateEnvironmentSecret({
              owner,
              repo,
              environment_name,
              secret_name,
              ...sealed,
              request
            })
          ).status
      }
    }
    case 'dependabot': {
      const { owner, repo } = spec
      return {
        id: `dependabot:${owner}/${repo}`.toLowerCase(),
        getPublicKey: async () => (await dependabot.getRepoPublicKey({ owner, repo })).data,
        putSecret: async (secret_name, sealed, _access, request) =>
          (await dependabot.createOrUpdateRepoSecret({ owner, repo, secret_name, ...sealed, request })).status
      }
    }
    case 'org': {
      const { org } = spec
      return {
        id: `org:${org}`.toLowerCase(),
        org,
        getPublicKey: async () => (await actions.getOrgPublicKey({ org })).data,
        putSecret: async (secret_name, sealed, access, request) =>
          (await actions.createOrUpdateOrgSecret({ org, secret_name, ...sealed, ...requireAccess(access), request }))
            .status,
        getSecretVisibility: async (secret_name) => (await actions.getOrgSecret({ org, secret_name })).data.visibility,
        listSelectedRepositories: async (secret_name, page, per_page) =>
          selected((await actions.listSelectedReposForOrgSecret({ org, secret_name, page, per_page })).data)
      }
    }
    case 'dependabot-org': {
      const { org } = spec
      return {
        id: `dependabot-org:${org}`.toLowerCase(),
        org,
        getPublicKey: async () => (await dependabot.getOrgPublicKey({ org })).data,
        putSecret: async (secret_name, sealed, access, request) =>
          (
            await dependabot.createOrUpdateOrgSecret({
              org,
              secret_name,
              ...sealed,
              ...requireAccess(access),
              request
            })
          ).status,
        getSecretVisibility: async (secret_name) =>
          (await dependabot.getOrgSecret({ org, secret_name })).data.visibility,
        listSelectedRepositories: async (secret_name, page, per_page) =>
          selected((await dependabot.listSelectedReposForOrgSecret({ org, secret_name, page, per_page })).data)
      }
    }
  }
}

export function isOrgScope(scope: Scope): scope is OrgScope {
  return 'org' in scope
}

function requireAccess(access: OrgAccess | undefined): OrgAccess {
  // An organization PUT without visibility would be rejected (and must never default).
  if (access === undefined) throw new Error('organization secret written without a settled visibility')
  return access
}

/** The lists the check for shadowed copies reads: names and times, never values. */
export function shadowReader(octokit: Octokit): ShadowReader {
  const { actions, repos } = octokit.rest
  const entries = (secrets: { name: string; updated_at?: string }[]): SecretEntry[] =>
    secrets.map((s) => ({ name: s.name, updatedAt: s.updated_at }))
  return {
    listEnvironments: async ({ owner, repo }, page, per_page) => {
      const { data } = await repos.getAllEnvironments({ owner, repo, page, per_page })
      const environments = data.environments ?? []
      return { totalCount: data.total_count ?? environments.length, items: environments.map((e) => e.name) }
    },
    listRepoSecrets: async ({ owner, repo }, page, per_page) => {
      const { data } = await actions.listRepoSecrets({ owner, repo, page, per_page })
      return { totalCount: data.total_count, items: entries(data.secrets) }
    },
    // Octokit encodes the raw environment name once, as for the writes.
    listEnvironmentSecrets: async ({ owner, repo }, environment_name, page, per_page) => {
      const { data } = await actions.listEnvironmentSecrets({ owner, repo, environment_name, page, per_page })
      return { totalCount: data.total_count, items: entries(data.secrets) }
    }
  }
}
