// The journal's store and the contract's request rules, on the wire: the exact requests for each
// scope, create-or-update, the Variables permission message, the API version header and the
// token-expiry header.
import { afterEach, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { parseTokenExpiration } from '../../src/github/octokit.js'
import { createVariableStore } from '../../src/github/variables.js'
import type { JournalLocation } from '../../src/inputs/config.js'
import { createWritePacer } from '../../src/rotation/5-write-pacer.js'
import { PREFIX, github, harness } from './helpers.js'

afterEach(() => {
  nock.cleanAll()
})

const NAME = 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION'
const REPO: JournalLocation = { kind: 'repo', owner: 'acme', repo: 'api', name: NAME, label: 'repo:acme/api' }
const ENVIRONMENT: JournalLocation = {
  kind: 'environment',
  owner: 'acme',
  repo: 'api',
  environment: 'prod/eu',
  name: NAME,
  label: 'environment:acme/api/prod/eu'
}
const ORG: JournalLocation = { kind: 'org', owner: 'acme', name: NAME, label: 'org:acme' }

function store(location: JournalLocation, options: Parameters<typeof harness>[0] = {}) {
  const { octokit } = harness(options)
  return createVariableStore({ octokit, location, pacer: createWritePacer({ spacingMs: 0 }) })
}

describe('the journal variable', () => {
  test('repository: read an existing one, then update it with PATCH', async () => {
    const scope = github()
      .get(`${PREFIX}/repos/acme/api/actions/variables/${NAME}`)
      .reply(200, { name: NAME, value: '{"version":1}', created_at: '', updated_at: '' })
      .patch(`${PREFIX}/repos/acme/api/actions/variables/${NAME}`, { value: 'next' })
      .reply(204)
    const journal = store(REPO)
    expect(await journal.read()).toBe('{"version":1}')
    await journal.write('next')
    expect(scope.isDone()).toBe(true)
  })

  test('environment: a missing variable in a scope that exists is created with POST (raw name encoded once)', async () => {
    const base = `${PREFIX}/repos/acme/api/environments/prod%2Feu/variables`
    const scope = github()
      .get(`${base}/${NAME}`)
      .reply(404, { message: 'Not Found' })
      .get(base)
      .query({ per_page: 1 })
      .reply(200, { total_count: 0, variables: [] })
      .post(base, { name: NAME, value: 'first' })
      .reply(201, {})
    const journal = store(ENVIRONMENT)
    expect(await journal.read()).toBeUndefined()
    await journal.write('first')
    expect(scope.isDone()).toBe(true)
  })

  test('organization: created visible to no repository, so no workflow receives it', async () => {
    const scope = github()
      .get(`${PREFIX}/orgs/acme/actions/variables/${NAME}`)
      .reply(404, { message: 'Not Found' })
      .get(`${PREFIX}/orgs/acme/actions/variables`)
      .query({ per_page: 1 })
      .reply(200, { total_count: 0, variables: [] })
      .post(`${PREFIX}/orgs/acme/actions/variables`, {
        name: NAME,
        value: 'first',
        visibility: 'selected',
        selected_repository_ids: []
      })
      .reply(201, {})
    const journal = store(ORG)
    expect(await journal.read()).toBeUndefined()
    await journal.write('first')
    expect(scope.isDone()).toBe(true)
  })

  test("409 on POST: its own create whose answer was lost is fine; another run's journal is not written over", async () => {
    const base = `${PREFIX}/repos/acme/api/actions/variables`
    const missing = () =>
      github()
        .get(`${base}/${NAME}`)
        .reply(404, { message: 'Not Found' })
        .get(base)
        .query({ per_page: 1 })
        .reply(200, { total_count: 0, variables: [] })
        .post(base)
        .reply(409, { message: 'Already exists' })
    const lost = missing().get(`${base}/${NAME}`).reply(200, { name: NAME, value: 'mine' })
    const first = store(REPO)
    await first.read()
    await first.write('mine')
    expect(lost.isDone()).toBe(true)

    const other = missing().get(`${base}/${NAME}`).reply(200, { name: NAME, value: 'theirs' })
    const second = store(REPO)
    await second.read()
    await expect(second.write('mine')).rejects.toThrow(/another run created the journal.*nothing was written over it/)
    expect(other.isDone()).toBe(true)
  })

  test('a mistyped location does not pass for an empty journal: its 404 is an error that says so', async () => {
    github()
      .get(`${PREFIX}/repos/acme/apii/actions/variables/${NAME}`)
      .reply(404, { message: 'Not Found' })
      .get(`${PREFIX}/repos/acme/apii/actions/variables`)
      .query({ per_page: 1 })
      .reply(404, { message: 'Not Found' })
    const journal = store({ ...REPO, repo: 'apii', label: 'repo:acme/apii' })
    await expect(journal.read()).rejects.toThrow(
      /HTTP 404.*acme\/apii does not exist or the github-token cannot see it/
    )
  })

  test('no Variables permission: the error names the permission and the way out, for reads and writes', async () => {
    github()
      .get(`${PREFIX}/repos/acme/api/actions/variables/${NAME}`)
      .reply(403, { message: 'Resource not accessible by integration' })
    await expect(store(REPO).read()).rejects.toThrow(
      /read the journal failed \(HTTP 403\)\. The journal needs the github-token to hold the repository permission "Variables: write".*journal: none/
    )
    github()
      .patch(`${PREFIX}/orgs/acme/actions/variables/${NAME}`)
      .reply(403, { message: 'Resource not accessible by integration' })
    await expect(store(ORG).write('x')).rejects.toThrow(/organization permission "Variables: write"/)
  })

  test('a 403 while listing the scope (after the 404) keeps the permission advice', async () => {
    github()
      .get(`${PREFIX}/repos/acme/api/actions/variables/${NAME}`)
      .reply(404, { message: 'Not Found' })
      .get(`${PREFIX}/repos/acme/api/actions/variables`)
      .query({ per_page: 1 })
      .reply(403, { message: 'Resource not accessible by integration' })
    await expect(store(REPO).read()).rejects.toThrow(/"Variables: write"/)
  })
})

describe('every GitHub request', () => {
  test('sends the API version and media type, and reports the token expiry header', async () => {
    let expiry: Date | undefined
    github()
      .matchHeader('x-github-api-version', '2022-11-28')
      .matchHeader('accept', 'application/vnd.github+json')
      .get(`${PREFIX}/repos/acme/api/actions/variables/${NAME}`)
      .reply(200, { name: NAME, value: 'v' }, { 'github-authentication-token-expiration': '2026-12-02 07:00:00 UTC' })
    const journal = store(REPO, { onTokenExpiration: (at) => (expiry = at) })
    await journal.read()
    expect(expiry?.toISOString()).toBe('2026-12-02T07:00:00.000Z')
  })

  test.each([
    ['2026-12-02 07:00:00 UTC', '2026-12-02T07:00:00.000Z'],
    ['2026-12-02 08:00:00 +0100', '2026-12-02T07:00:00.000Z'],
    ['2026-12-01 23:00:00 -08:00', '2026-12-02T07:00:00.000Z']
  ])('reads %s', (header, iso) => {
    expect(parseTokenExpiration(header)?.toISOString()).toBe(iso)
  })

  test.each([undefined, '', 'tomorrow', '2026-13-45 99:00:00 UTC'])('ignores %p', (header) => {
    expect(parseTokenExpiration(header)).toBeUndefined()
  })
})
