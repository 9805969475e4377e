// Shadowed copies in process: which lists the check reads for a run's targets, what the answers
// mean (precedence, targets of the same run, organization reach), failures as notes, the request
// cap, and the text of the warnings. The reads go to an in-memory ShadowReader.
import { describe, expect, test } from '@jest/globals'
import { parseTargets } from '../../src/inputs/targets.js'
import {
  findShadowing,
  MAX_SHADOW_READS,
  planShadowReads,
  readBudget,
  SHADOW_PAGE_SIZE,
  shadowWarning,
  uncheckedLines,
  type OrgReach,
  type OrgReaches,
  type Page,
  type RepoRef,
  type SecretEntry,
  type ShadowReader
} from '../../src/github/shadowing.js'

const NAMES = ['PLANETSCALE_SERVICE_TOKEN_ID', 'PLANETSCALE_SERVICE_TOKEN']
const [ID, TOKEN] = NAMES as [string, string]
const AT = '2026-01-05T10:00:00Z'

/** An Octokit-shaped failure with a status. */
function answered(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, response: { headers: {}, data: { message } } })
}

/**
 * GitHub in memory: `secrets` by scope label (`repo:o/r`, `environment:o/r/e`); environments are
 * those with a key. `fail` answers a list with an error instead; `calls` records every page read.
 */
function memoryReader(secrets: Record<string, string[]>, fail: Record<string, Error> = {}) {
  const calls: string[] = []
  const page = <T>(key: string, all: T[], n: number, size: number): Promise<Page<T>> => {
    calls.push(`${key}#${n}`)
    const error = fail[key]
    if (error) return Promise.reject(error)
    return Promise.resolve({ totalCount: all.length, items: all.slice((n - 1) * size, n * size) })
  }
  const entries = (label: string): SecretEntry[] => (secrets[label] ?? []).map((name) => ({ name, updatedAt: AT }))
  const full = (r: RepoRef) => `${r.owner}/${r.repo}`
  const reader: ShadowReader = {
    listEnvironments: (repo, n, size) => {
      const prefix = `environment:${full(repo)}/`
      const names = Object.keys(secrets)
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length))
      return page(`environments:${full(repo)}`, names, n, size)
    },
    listRepoSecrets: (repo, n, size) => page(`repo:${full(repo)}`, entries(`repo:${full(repo)}`), n, size),
    listEnvironmentSecrets: (repo, env, n, size) => {
      const label = `environment:${full(repo)}/${env}`
      return page(label, entries(label), n, size)
    }
  }
  return { reader, calls }
}

const targets = (...lines: string[]) => parseTargets(lines.join('\n'))
const noReach: OrgReaches = new Map()
const reachAll = (label: string, reach: OrgReach): OrgReaches => new Map([[label, () => reach]])

describe('precedence: what overrides what', () => {
  test('an environment secret of the same name overrides the repository secret written', async () => {
    const { reader } = memoryReader({
      'environment:acme/api/production': [TOKEN, 'OTHER'],
      'environment:acme/api/staging': ['OTHER']
    })
    const check = await findShadowing(reader, targets('repo:acme/api'), NAMES, noReach)
    expect(check).toEqual({
      copies: [
        { scope: 'environment:acme/api/production', names: [TOKEN], updatedAt: AT, overrides: ['repo:acme/api'] }
      ],
      unchecked: [],
      notes: []
    })
  })

  test('names are compared case-insensitively and listed in the order they are written', async () => {
    const { reader } = memoryReader({ 'environment:acme/api/prod': ['planetscale_service_token', ID.toLowerCase()] })
    const check = await findShadowing(reader, targets('repo:acme/api'), NAMES, noReach)
    expect(check.copies.map((c) => c.names)).toEqual([[ID, TOKEN]])
  })

  test('an environment that is itself a target is written, not a shadowed copy, and is not read', async () => {
    const { reader, calls } = memoryReader({
      'environment:acme/api/production': NAMES,
      'environment:acme/api/staging': NAMES
    })
    const check = await findShadowing(
      reader,
      targets('repo:acme/api', 'environment:acme/api/Production'),
      NAMES,
      noReach
    )
    expect(check.copies.map((c) => c.scope)).toEqual(['environment:acme/api/staging'])
    expect(calls.sort()).toEqual(['environment:acme/api/staging#1', 'environments:acme/api#1'])
  })

  test('an environment target alone: nothing overrides it, nothing is read', async () => {
    const { reader, calls } = memoryReader({ 'repo:acme/api': NAMES, 'environment:acme/api/staging': NAMES })
    const check = await findShadowing(reader, targets('environment:acme/api/production'), NAMES, noReach)
    expect(check.copies).toEqual([])
    expect(calls).toEqual([])
  })

  test('Dependabot targets: another store, with no precedence over or under Actions secrets', async () => {
    const { reader, calls } = memoryReader({ 'environment:acme/api/production': NAMES, 'repo:acme/api': NAMES })
    const check = await findShadowing(reader, targets('dependabot:acme/api', 'dependabot-org:acme'), NAMES, noReach)
    expect(check.copies).toEqual([])
    expect(calls).toEqual([])
  })

  test('org, private (or all): only this run’s repositories are checked, with a note saying so', async () => {
    const { reader, calls } = memoryReader({
      'repo:acme/web': [ID],
      'environment:acme/web/preview': [TOKEN],
      'repo:acme/other': NAMES,
      'environment:acme/api/production': [TOKEN]
    })
    const run = targets('org:acme', 'environment:acme/web/production', 'repo:acme/api')
    const check = await findShadowing(
      reader,
      run,
      NAMES,
      reachAll('org:acme', { kind: 'unlisted', visibility: 'private' })
    )
    expect(check.copies).toEqual([
      { scope: 'repo:acme/web', names: [ID], updatedAt: AT, overrides: ['org:acme'] },
      { scope: 'environment:acme/web/preview', names: [TOKEN], updatedAt: AT, overrides: ['org:acme'] },
      // Overrides both (in the order of the targets): the organization's secret and the repository target's.
      {
        scope: 'environment:acme/api/production',
        names: [TOKEN],
        updatedAt: AT,
        overrides: ['org:acme', 'repo:acme/api']
      }
    ])
    // acme/other is not this run's: a secret visible to private repositories cannot be followed everywhere.
    expect(calls.some((c) => c.includes('acme/other'))).toBe(false)
    // acme/api's repository secret is a target: written, not read.
    expect(calls).not.toContain('repo:acme/api#1')
    expect(check.notes).toEqual([
      expect.stringMatching(
        /^org:acme: PLANETSCALE_SERVICE_TOKEN_ID and PLANETSCALE_SERVICE_TOKEN are visible to the private repositories of acme, too many to list; .*only in this run's repositories \(acme\/web, acme\/api\)/
      )
    ])
  })

  test('org, selected: the selected repositories, target or not', async () => {
    const { reader } = memoryReader({ 'repo:acme/web': NAMES, 'repo:acme/api': NAMES })
    const reach = reachAll('org:acme', { kind: 'selected', repositories: [{ owner: 'acme', repo: 'web' }] })
    const check = await findShadowing(reader, targets('org:acme'), NAMES, reach)
    expect(check.copies).toEqual([{ scope: 'repo:acme/web', names: NAMES, updatedAt: AT, overrides: ['org:acme'] }])
    expect(check.notes).toEqual([])
  })

  test('org, visibility per secret: a repository copy counts only for the names that reach it', async () => {
    const { reader } = memoryReader({ 'repo:acme/web': NAMES })
    const reach: OrgReaches = new Map([
      [
        'org:acme',
        (name: string): OrgReach =>
          name === ID
            ? { kind: 'selected', repositories: [{ owner: 'acme', repo: 'web' }] }
            : { kind: 'selected', repositories: [] }
      ]
    ])
    const check = await findShadowing(reader, targets('org:acme'), NAMES, reach)
    expect(check.copies.map((c) => c.names)).toEqual([[ID]])
  })

  test('org whose visibility could not be read: nothing to follow', async () => {
    const { reader, calls } = memoryReader({ 'repo:acme/web': NAMES })
    expect(await findShadowing(reader, targets('org:acme', 'environment:acme/web/x'), NAMES, noReach)).toEqual({
      copies: [],
      unchecked: [],
      notes: []
    })
    expect(calls).toEqual([])
  })
})

describe('the reads', () => {
  test('one listing of a repository’s environments is shared by every target that needs it', () => {
    const plans = planShadowReads(
      targets('repo:acme/api', 'org:acme', 'environment:acme/api/production'),
      NAMES,
      reachAll('org:acme', { kind: 'unlisted', visibility: 'all' })
    )
    expect(plans).toEqual([
      {
        repo: { owner: 'acme', repo: 'api' },
        repoSecrets: false,
        written: new Set(['production'])
      }
    ])
  })

  test('every page is read until a short page or total_count', async () => {
    const many = Array.from({ length: SHADOW_PAGE_SIZE + 5 }, (_, i) => `environment:acme/api/env-${i}`)
    const { reader, calls } = memoryReader(Object.fromEntries(many.map((label) => [label, []])))
    await findShadowing(reader, targets('repo:acme/api'), NAMES, noReach, readBudget(1000))
    expect(calls.filter((c) => c.startsWith('environments:'))).toEqual([
      'environments:acme/api#1',
      'environments:acme/api#2'
    ])
    expect(calls).toHaveLength(2 + many.length)
  })

  test(`at most ${MAX_SHADOW_READS} requests; the rest is reported as not checked, in one line`, async () => {
    const many = Array.from({ length: 80 }, (_, i) => `environment:acme/api/preview-${i}`)
    const { reader, calls } = memoryReader(Object.fromEntries(many.map((label) => [label, NAMES])))
    const check = await findShadowing(reader, targets('repo:acme/api'), NAMES, noReach)
    expect(calls).toHaveLength(MAX_SHADOW_READS)
    expect(check.copies).toHaveLength(MAX_SHADOW_READS - 1)
    expect(check.unchecked).toHaveLength(80 - (MAX_SHADOW_READS - 1))
    expect(check.unchecked.every((u) => u.kind === 'capped')).toBe(true)
    const lines = uncheckedLines(check)
    expect(lines).toEqual([
      {
        kind: 'capped',
        line: expect.stringMatching(
          new RegExp(
            `^Could not check for shadowing copies at (environment:acme/api/preview-\\d+, ){9}environment:acme/api/preview-\\d+ and 21 more \\(the check sends at most ${MAX_SHADOW_READS} requests a run\\)\\.$`
          )
        )
      }
    ])
  })

  test('403 and 404 are notes (the github-token cannot read it); another failure is reported as such', async () => {
    const { reader } = memoryReader(
      {
        'environment:acme/api/production': NAMES,
        'environment:acme/api/staging': NAMES,
        'environment:acme/web/production': NAMES
      },
      {
        'environment:acme/api/production': answered(403, 'Resource not accessible by integration'),
        'environment:acme/api/staging': answered(404, 'Not Found'),
        'environments:acme/web': answered(502, 'Bad Gateway')
      }
    )
    const check = await findShadowing(reader, targets('repo:acme/api', 'repo:acme/web'), NAMES, noReach)
    expect(check.copies).toEqual([])
    expect(check.unchecked).toEqual([
      { where: 'environment:acme/api/production', reason: 'the github-token cannot read it', kind: 'unreadable' },
      { where: 'environment:acme/api/staging', reason: 'the github-token cannot read it', kind: 'unreadable' },
      { where: 'the environments of acme/web', reason: 'HTTP 502 "Bad Gateway"', kind: 'failed' }
    ])
    expect(uncheckedLines(check).map((l) => l.line)).toEqual([
      'Could not check for shadowing copies at environment:acme/api/production, environment:acme/api/staging ' +
        '(the github-token cannot read them).',
      'Could not check for shadowing copies at the environments of acme/web (HTTP 502 "Bad Gateway").'
    ])
  })
})

describe('the warning', () => {
  test('names the copy, the secrets, what it overrides, who reads it and what to do; never a value', () => {
    const text = shadowWarning({
      scope: 'environment:acme/api/production',
      names: [TOKEN],
      updatedAt: AT,
      overrides: ['repo:acme/api']
    })
    expect(text).toBe(
      'Shadowed copy: environment:acme/api/production has its own PLANETSCALE_SERVICE_TOKEN (last written ' +
        '2026-01-05T10:00:00Z), which jobs that use that environment read instead of what this run writes to ' +
        'repo:acme/api. This run does not write it: if it holds the pair being replaced, those jobs are locked out ' +
        'once the old token is deleted. Add environment:acme/api/production to `targets`, or delete that copy if ' +
        'nothing needs it.'
    )
    expect(shadowWarning({ scope: 'repo:acme/web', names: NAMES, overrides: ['org:acme'] })).toMatch(
      /^Shadowed copy: repo:acme\/web has its own PLANETSCALE_SERVICE_TOKEN_ID and PLANETSCALE_SERVICE_TOKEN, which the workflows of acme\/web read instead of what this run writes to org:acme\./
    )
  })
})
