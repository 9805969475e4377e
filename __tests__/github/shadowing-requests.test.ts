// The check for shadowed copies on the wire (GHES base URL): the exact list requests, their
// headers and paging, the request cap, a 403 as a note, and an organization secret's reach read
// once for both the target's preparation and the check.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { MAX_SHADOW_READS } from '../../src/github/shadowing.js'
import type { TargetSpec } from '../../src/inputs/targets.js'
import { expectNothingSecret, github, harness, keyPair, orgTarget, PREFIX, repoTarget, scopePaths } from './helpers.js'

const NAMES = ['PLANETSCALE_SERVICE_TOKEN_ID', 'PLANETSCALE_SERVICE_TOKEN']
const PAGE = { per_page: '100', page: '1' }
const secret = (name: string) => ({ name, created_at: '2025-12-01T00:00:00Z', updated_at: '2026-01-02T03:04:05Z' })
const environment = (name: string) => ({ id: 1, name, created_at: '2025-01-01T00:00:00Z' })

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

/** The scope with the headers every GitHub request carries (the contract's network rules). */
function api() {
  return github().matchHeader('accept', 'application/vnd.github+json').matchHeader('x-github-api-version', '2022-11-28')
}

describe('a repository target', () => {
  test('lists its environments, then the secrets of each; a copy is named, a 403 is a note', async () => {
    const seen: string[] = []
    const scope = api()
      .get(`${PREFIX}/repos/acme/api/environments`)
      .query(PAGE)
      .reply(200, () => {
        seen.push('environments')
        return { total_count: 2, environments: [environment('prod/eu west'), environment('staging')] }
      })
      // The raw name encoded once, as for the writes.
      .get(`${PREFIX}/repos/acme/api/environments/prod%2Feu%20west/secrets`)
      .query(PAGE)
      .reply(200, () => {
        seen.push('prod/eu west')
        return { total_count: 2, secrets: [secret('PLANETSCALE_SERVICE_TOKEN'), secret('OTHER')] }
      })
      .get(`${PREFIX}/repos/acme/api/environments/staging/secrets`)
      .query(PAGE)
      .reply(403, { message: 'Resource not accessible by integration' })

    const { secrets, log } = harness()
    const check = await secrets.findShadowedCopies([repoTarget], NAMES)

    expect(scope.isDone()).toBe(true)
    expect(seen).toEqual(['environments', 'prod/eu west'])
    expect(check).toEqual({
      copies: [
        {
          scope: 'environment:acme/api/prod/eu west',
          names: ['PLANETSCALE_SERVICE_TOKEN'],
          updatedAt: '2026-01-02T03:04:05Z',
          overrides: ['repo:acme/api']
        }
      ],
      unchecked: [
        { where: 'environment:acme/api/staging', reason: 'the github-token cannot read it', kind: 'unreadable' }
      ],
      notes: []
    })
    expectNothingSecret(log.lines.join('\n'))
  })

  test(`pages until a short page, and sends at most ${MAX_SHADOW_READS} requests`, async () => {
    const names = Array.from({ length: 101 }, (_, i) => `preview-${String(i).padStart(3, '0')}`)
    let secretLists = 0
    const scope = api()
      .get(`${PREFIX}/repos/acme/api/environments`)
      .query(PAGE)
      .reply(200, { total_count: 101, environments: names.slice(0, 100).map(environment) })
      .get(`${PREFIX}/repos/acme/api/environments`)
      .query({ per_page: '100', page: '2' })
      .reply(200, { total_count: 101, environments: names.slice(100).map(environment) })
      .get(/\/repos\/acme\/api\/environments\/preview-\d+\/secrets\?/)
      // One more would find no interceptor: it would show up below as a failed list, not a capped one.
      .times(MAX_SHADOW_READS - 2)
      .reply(200, () => {
        secretLists++
        return { total_count: 0, secrets: [] }
      })

    const check = await harness().secrets.findShadowedCopies([repoTarget], NAMES)

    // Two pages of environments, then as many environments as the cap leaves.
    expect(secretLists).toBe(MAX_SHADOW_READS - 2)
    expect(scope.isDone()).toBe(true)
    expect(check.copies).toEqual([])
    expect(check.unchecked).toHaveLength(101 - (MAX_SHADOW_READS - 2))
    expect(new Set(check.unchecked.map((u) => u.kind))).toEqual(new Set(['capped']))
  })
})

describe('an organization target', () => {
  test('an existing "selected" secret: its repositories’ secrets and environments, the secret read once', async () => {
    const pair = await keyPair()
    const selected = { total_count: 1, repositories: [{ id: 7, name: 'web', owner: { login: 'acme' } }] }
    // Each organization read answers once: a second read would find no interceptor and fail.
    const scope = api().get(`${scopePaths.org}/secrets/public-key`).reply(200, pair.body)
    for (const name of NAMES) {
      scope
        .get(`${scopePaths.org}/secrets/${name}`)
        .reply(200, { ...secret(name), visibility: 'selected' })
        .get(`${scopePaths.org}/secrets/${name}/repositories`)
        .query(PAGE)
        .reply(200, selected)
    }
    scope
      .get(`${PREFIX}/repos/acme/web/actions/secrets`)
      .query(PAGE)
      .reply(200, { total_count: 1, secrets: [secret('PLANETSCALE_SERVICE_TOKEN_ID')] })
      .get(`${PREFIX}/repos/acme/web/environments`)
      .query(PAGE)
      .reply(200, { total_count: 0, environments: [] })

    const { secrets } = harness()
    const targets: TargetSpec[] = [orgTarget]
    const [, check] = await Promise.all([secrets.prepare(orgTarget, NAMES), secrets.findShadowedCopies(targets, NAMES)])

    expect(scope.isDone()).toBe(true)
    expect(check.copies).toEqual([
      {
        scope: 'repo:acme/web',
        names: ['PLANETSCALE_SERVICE_TOKEN_ID'],
        updatedAt: '2026-01-02T03:04:05Z',
        overrides: ['org:acme']
      }
    ])
  })

  test('visibility all: no repository of the run in the organization, nothing read, a note', async () => {
    const pair = await keyPair()
    const scope = api().get(`${scopePaths.org}/secrets/public-key`).reply(200, pair.body)
    const spec: TargetSpec = { kind: 'org', label: 'org:acme', org: 'acme', visibility: 'all' }
    const { secrets } = harness()
    const [, check] = await Promise.all([secrets.prepare(spec, NAMES), secrets.findShadowedCopies([spec], NAMES)])
    expect(scope.isDone()).toBe(true)
    expect(check.copies).toEqual([])
    expect(check.notes).toEqual([expect.stringMatching(/visible to all repositories of acme.*were not looked for/)])
  })
})
