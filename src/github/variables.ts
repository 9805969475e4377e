// The journal's store: a GitHub Actions configuration variable (repository, environment or
// organization), read and written whole. Writes count as GitHub writes, so they take the write
// pacer's turns like secret writes do.
import { GitHubTargetError } from '../errors.js'
import type { JournalLocation } from '../inputs/config.js'
import type { TargetSpec } from '../inputs/targets.js'
import type { JournalStore } from '../rotation/0-journal.js'
import type { WritePacer } from '../rotation/5-write-pacer.js'
import type { GitHubClient } from './octokit.js'
import { httpStatus, toTargetError } from './errors.js'

export interface VariableStoreOptions {
  octokit: GitHubClient
  location: JournalLocation
  pacer: WritePacer
}

/** The permission the journal needs, for messages. */
export function variablesAdvice(location: JournalLocation): string {
  return location.kind === 'org'
    ? 'the organization permission "Variables: write" (GitHub App permission organization_variables; ' +
        'fine-grained PAT: organization Variables; classic PAT: admin:org)'
    : 'the repository permission "Variables: write" (GitHub App permission variables; ' +
        'fine-grained PAT: repository Variables; classic PAT: repo)' +
        (location.kind === 'environment' ? ' and "Environments: read"' : '')
}

export function createVariableStore({ octokit, location, pacer }: VariableStoreOptions): JournalStore {
  const label = `${location.label} variable ${location.name}`
  // Octokit fills in and URL-encodes the parameters (an environment name is passed raw).
  const { base, params } = route(location)
  const item = `${base}/{name}`
  // Known after the first read: a missing variable is created (POST), an existing one updated (PATCH).
  let exists: boolean | undefined

  const fail = (error: unknown, step: string): GitHubTargetError => {
    const status = httpStatus(error)
    if (status === 403 && !/rate limit/i.test(String((error as Error).message))) {
      return new GitHubTargetError(
        `${label}: ${step} failed (HTTP 403). ` +
          `The journal needs the github-token to hold ${variablesAdvice(location)}. ` +
          'actions/create-github-app-token has no permission-variables input: leave its permission-* inputs out so ' +
          "that the token carries the App's own permissions, and give the App exactly what the action needs. " +
          'Or set `journal: none` (see the README for what that gives up).',
        location.label,
        step,
        status
      )
    }
    return toTargetError(error, asTarget(location), `${step} (journal variable ${location.name})`)
  }

  async function create(value: string): Promise<void> {
    const body: Record<string, unknown> = { name: location.name, value }
    // Nobody's workflows should receive the journal: an organization variable visible to no repository.
    if (location.kind === 'org') Object.assign(body, { visibility: 'selected', selected_repository_ids: [] })
    await octokit.request(`POST ${base}`, { ...params, ...body })
  }

  async function update(value: string): Promise<void> {
    await octokit.request(`PATCH ${item}`, { ...params, name: location.name, value })
  }

  return {
    label,
    async read() {
      try {
        const { data } = await octokit.request(`GET ${item}`, { ...params, name: location.name })
        exists = true
        const value = (data as { value?: unknown }).value
        return typeof value === 'string' ? value : undefined
      } catch (error) {
        // Still missing where this run already found the scope: no need to ask again.
        if (httpStatus(error) === 404 && exists === false) return undefined
        let missing = false
        try {
          missing = httpStatus(error) === 404 && (await scopeVisible(octokit, base, params))
        } catch (listError) {
          throw fail(listError, 'read the journal')
        }
        if (missing) {
          exists = false
          return undefined
        }
        throw fail(error, 'read the journal')
      }
    },
    async write(value) {
      await pacer.turn('begin')
      try {
        if (exists === false) {
          try {
            await create(value)
          } catch (error) {
            const status = httpStatus(error)
            if (status !== 409 && status !== 422) throw error
            // It exists now: this run's own create whose answer was lost, or another run's journal,
            // which must not be written over.
            const { data } = await octokit.request(`GET ${item}`, { ...params, name: location.name })
            if ((data as { value?: unknown }).value !== value) {
              throw new GitHubTargetError(
                `${label}: another run created the journal while this one was starting; nothing was written ` +
                  'over it. Run again: the next run reads what it recorded.',
                location.label,
                'write the journal',
                status
              )
            }
          }
        } else {
          try {
            await update(value)
          } catch (error) {
            if (httpStatus(error) !== 404) throw error
            await create(value)
          }
        }
        exists = true
      } catch (error) {
        throw fail(error, 'write the journal')
      }
    }
  }
}

/**
 * A 404 on the variable means "no journal yet" only when its scope exists: a mistyped journal
 * location must not pass for an empty journal (the write would fail only after the check).
 */
async function scopeVisible(octokit: GitHubClient, base: string, params: Record<string, string>): Promise<boolean> {
  try {
    await octokit.request(`GET ${base}`, { ...params, per_page: 1 })
    return true
  } catch (error) {
    if (httpStatus(error) === 404) return false
    throw error
  }
}

function route(location: JournalLocation): { base: string; params: Record<string, string> } {
  const repo = { owner: location.owner, repo: location.repo ?? '' }
  if (location.kind === 'org') return { base: '/orgs/{org}/actions/variables', params: { org: location.owner } }
  if (location.kind === 'environment')
    return {
      base: '/repos/{owner}/{repo}/environments/{environment_name}/variables',
      params: { ...repo, environment_name: location.environment ?? '' }
    }
  return { base: '/repos/{owner}/{repo}/actions/variables', params: repo }
}

function asTarget(location: JournalLocation): TargetSpec {
  if (location.kind === 'org') return { kind: 'org', label: location.label, org: location.owner }
  if (location.kind === 'environment')
    return {
      kind: 'environment',
      label: location.label,
      owner: location.owner,
      repo: location.repo ?? '',
      environment: location.environment ?? ''
    }
  return { kind: 'repo', label: location.label, owner: location.owner, repo: location.repo ?? '' }
}
