// The serial baseline: the same job written the way the existing secret actions work
// (e.g. gliech/create-github-secret-action, jon-grey/github-actions-secrets-creator): plain
// @octokit/rest without throttling or retries, one target after another, and per target
// "get key, write ID, write token". For fairness it also does the PlanetScale side the action
// does, one request after another (check, read the old token, create, grant each group, test,
// delete), so both sides send about the same requests and only the scheduling differs.
import { Octokit } from '@octokit/rest'
import sodium from 'libsodium-wrappers'
import { grantsFromAccesses } from '../src/rotation/accesses.js'
import type { Grant, TokenAccess } from '../src/planetscale/types.js'

export interface BaselineOptions {
  planetscaleUrl: string
  githubUrl: string
  organization: string
  credentials: { id: string; token: string }
  githubToken: string
  /** Target lines as the action takes them (repo:, environment:, org:, dependabot:). */
  targets: readonly string[]
  idName: string
  tokenName: string
}

export interface BaselineResult {
  ok: boolean
  targetsWritten: number
  /** Step and HTTP status of the failure; never a body. */
  failure?: string
}

interface Credentials {
  id: string
  token: string
}

export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  await sodium.ready
  const org = encodeURIComponent(options.organization)
  const ps = planetscale(options.planetscaleUrl)
  const quiet = () => {}
  // Octokit logs failed requests itself; the bench reports the failure once.
  const github = new Octokit({
    auth: options.githubToken,
    baseUrl: options.githubUrl,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet }
  })
  let targetsWritten = 0
  let step = 'check credentials'
  try {
    await ps(options.credentials, 'GET', '/organizations')
    step = 'read the old token'
    const old = (await ps(
      options.credentials,
      'GET',
      `/organizations/${org}/service-tokens/${options.credentials.id}`
    )) as {
      service_token_accesses?: TokenAccess[]
    }
    const grants: Grant[] = grantsFromAccesses(old.service_token_accesses ?? [], options.credentials.id)
    step = 'create the new token'
    const created = (await ps(options.credentials, 'POST', `/organizations/${org}/service-tokens`, {
      name: 'baseline'
    })) as {
      id: string
      token: string
    }
    const fresh = { id: created.id, token: created.token }
    for (const grant of grants) {
      step = 'grant accesses'
      await ps(options.credentials, 'POST', `/organizations/${org}/service-tokens/${fresh.id}/access`, grant)
    }
    step = 'test the new token'
    await ps(fresh, 'GET', '/organizations')
    await ps(fresh, 'GET', `/organizations/${org}/service-tokens/${fresh.id}`)
    for (const target of options.targets) {
      step = `write ${target}`
      const scope = scopeOf(github, target)
      const { key_id, key } = await scope.publicKey()
      await scope.put(options.idName, { key_id, encrypted_value: seal(fresh.id, key) })
      await scope.put(options.tokenName, { key_id, encrypted_value: seal(fresh.token, key) })
      targetsWritten++
    }
    step = 'delete the old token'
    await ps(fresh, 'DELETE', `/organizations/${org}/service-tokens/${options.credentials.id}`)
    return { ok: true, targetsWritten }
  } catch (error) {
    const status = (error as { status?: unknown }).status
    return { ok: false, targetsWritten, failure: `${step}: HTTP ${typeof status === 'number' ? status : '?'}` }
  }
}

function planetscale(baseUrl: string) {
  return async (credentials: Credentials, method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        Authorization: `${credentials.id}:${credentials.token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await response.text()
    if (!response.ok) throw Object.assign(new Error(`PlanetScale ${method} failed`), { status: response.status })
    return text ? (JSON.parse(text) as unknown) : undefined
  }
}

interface Sealed {
  key_id: string
  encrypted_value: string
}

function scopeOf(
  github: Octokit,
  target: string
): { publicKey(): Promise<{ key_id: string; key: string }>; put(name: string, sealed: Sealed): Promise<unknown> } {
  const colon = target.indexOf(':')
  const kind = target.slice(0, colon)
  const [owner = '', repo = '', ...rest] = target.slice(colon + 1).split('/')
  const { actions, dependabot } = github.rest
  switch (kind) {
    case 'repo':
      return {
        publicKey: async () => (await actions.getRepoPublicKey({ owner, repo })).data,
        put: (secret_name, sealed) => actions.createOrUpdateRepoSecret({ owner, repo, secret_name, ...sealed })
      }
    case 'environment': {
      const environment_name = rest.join('/')
      return {
        publicKey: async () => (await actions.getEnvironmentPublicKey({ owner, repo, environment_name })).data,
        put: (secret_name, sealed) =>
          actions.createOrUpdateEnvironmentSecret({ owner, repo, environment_name, secret_name, ...sealed })
      }
    }
    case 'dependabot':
      return {
        publicKey: async () => (await dependabot.getRepoPublicKey({ owner, repo })).data,
        put: (secret_name, sealed) => dependabot.createOrUpdateRepoSecret({ owner, repo, secret_name, ...sealed })
      }
    case 'org':
      // Like those actions: a fixed visibility, not the existing one.
      return {
        publicKey: async () => (await actions.getOrgPublicKey({ org: owner })).data,
        put: (secret_name, sealed) =>
          actions.createOrUpdateOrgSecret({ org: owner, secret_name, visibility: 'private', ...sealed })
      }
    default:
      throw new Error(`baseline: unsupported target ${target}`)
  }
}

function seal(value: string, publicKey: string): string {
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL)
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL)
}
