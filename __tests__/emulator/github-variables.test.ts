import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, manualClock, startSeeded } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
let clock: ReturnType<typeof manualClock>
beforeEach(async () => {
  clock = manualClock()
  ;({ emu, seed } = await startSeeded({ clock: clock.now }))
  emu.github.addRepository('acme/web')
  emu.github.addRepository('solo/tool')
})
afterEach(() => emu.stop())

const SCOPES = [
  ['repo:acme/api', '/repos/acme/api/actions', {}],
  ['environment:acme/api/production', '/repos/acme/api/environments/production', {}],
  ['org:acme', '/orgs/acme/actions', { visibility: 'private' }]
] as const

const T0 = '2026-11-22T06:00:00Z'
const T1 = '2026-11-22T06:01:00Z'

describe('GitHub Actions variables: round trip', () => {
  test.each(SCOPES)(
    '%s: create 201, 409 on a second create, read, update 204, list, delete',
    async (scope, path, extra) => {
      const v = `${path}/variables`
      const created = await gh(emu, 'POST', v, seed.githubToken, { name: 'pscale_journal', value: 'one', ...extra })
      expect([created.status, created.json]).toEqual([201, {}])
      const again = await gh(emu, 'POST', v, seed.githubToken, { name: 'PSCALE_JOURNAL', value: 'x', ...extra })
      expect(again.status).toBe(409)
      expect(again.json).toEqual({ message: 'Already exists', documentation_url: expect.any(String) })

      const orgFields = scope.startsWith('org:') ? { visibility: 'private' } : {}
      const read = await gh(emu, 'GET', `${v}/pscale_journal`, seed.githubToken)
      expect(read.status).toBe(200)
      expect(read.json).toEqual({ name: 'PSCALE_JOURNAL', value: 'one', created_at: T0, updated_at: T0, ...orgFields })

      clock.advance(60_000)
      const updated = await gh(emu, 'PATCH', `${v}/Pscale_Journal`, seed.githubToken, { value: 'two ✓' })
      expect([updated.status, updated.text]).toEqual([204, ''])
      expect(emu.github.variable(scope, 'pscale_journal')).toEqual({
        name: 'PSCALE_JOURNAL',
        value: 'two ✓',
        createdAt: T0,
        updatedAt: T1,
        ...orgFields
      })

      const list = await gh(emu, 'GET', v, seed.githubToken)
      expect(list.json).toEqual({
        total_count: 1,
        variables: [{ name: 'PSCALE_JOURNAL', value: 'two ✓', created_at: T0, updated_at: T1, ...orgFields }]
      })

      expect((await gh(emu, 'DELETE', `${v}/pscale_journal`, seed.githubToken)).status).toBe(204)
      expect(emu.github.variables(scope)).toEqual({})
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const missing = await gh(
          emu,
          method,
          `${v}/PSCALE_JOURNAL`,
          seed.githubToken,
          method === 'PATCH' ? {} : undefined
        )
        expect([method, missing.status]).toEqual([method, 404])
      }
      // Variables and secrets are separate stores.
      expect(emu.github.secrets(scope)).toEqual({})
    }
  )

  test('Dependabot scopes have no variables', async () => {
    for (const path of ['/repos/acme/api/dependabot/variables', '/orgs/acme/dependabot/variables']) {
      expect((await gh(emu, 'GET', path, seed.githubToken)).status).toBe(404)
      expect((await gh(emu, 'POST', path, seed.githubToken, { name: 'X', value: 'v' })).status).toBe(404)
    }
    expect(() => emu.github.putVariable('dependabot:acme/api', 'X', 'v')).toThrow(/no variables/)
  })

  test('a list is sorted by name and paged', async () => {
    for (const name of ['C', 'A', 'B']) emu.github.putVariable('repo:acme/api', name, name.toLowerCase())
    const page = await gh(emu, 'GET', '/repos/acme/api/actions/variables?per_page=2&page=2', seed.githubToken)
    expect(page.json.total_count).toBe(3)
    expect(page.json.variables.map((v: { name: string }) => v.name)).toEqual(['C'])
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/variables?page=0', seed.githubToken)).status).toBe(422)
  })

  test('PATCH with a name renames, keeping the creation time; onto an existing name is 409', async () => {
    emu.github.putVariable('repo:acme/api', 'OLD', 'v')
    emu.github.putVariable('repo:acme/api', 'TAKEN', 't')
    clock.advance(60_000)
    const path = '/repos/acme/api/actions/variables'
    expect((await gh(emu, 'PATCH', `${path}/OLD`, seed.githubToken, { name: 'taken' })).status).toBe(409)
    expect((await gh(emu, 'PATCH', `${path}/OLD`, seed.githubToken, { name: 'new' })).status).toBe(204)
    expect(Object.keys(emu.github.variables('repo:acme/api')).sort()).toEqual(['NEW', 'TAKEN'])
    expect(emu.github.variable('repo:acme/api', 'NEW')).toMatchObject({ value: 'v', createdAt: T0, updatedAt: T1 })
  })
})

describe('GitHub Actions variables: validation', () => {
  const path = '/repos/acme/api/actions/variables'
  const post = (body: unknown) => gh(emu, 'POST', path, seed.githubToken, body)

  test('names follow the secret rules', async () => {
    for (const name of ['1ABC', 'A-B', 'github_x', '']) {
      const res = await post({ name, value: 'v' })
      expect([name, res.status]).toEqual([name, 422])
      expect(res.json.message).toMatch(/^Variable names/)
    }
    expect((await post({ name: '_ok_1', value: 'v' })).status).toBe(201)
    expect((await gh(emu, 'PATCH', `${path}/_OK_1`, seed.githubToken, { name: 'GITHUB_X' })).status).toBe(422)
    expect(() => emu.github.putVariable('repo:acme/api', 'GITHUB_X', 'v')).toThrow(/GITHUB_/)
  })

  test('the value is a string of at most 48 KB', async () => {
    const max = 'x'.repeat(48 * 1024)
    expect((await post({ name: 'MAX', value: max })).status).toBe(201)
    const tooBig = await post({ name: 'BIG', value: `${max}y` })
    expect(tooBig.status).toBe(422)
    expect(tooBig.text).not.toContain('xxxx')
    expect((await post({ name: 'NUM', value: 5 })).status).toBe(422)
    expect((await post({ name: 'NONE' })).status).toBe(422)
    expect((await post({ value: 'v' })).status).toBe(422)
    expect((await gh(emu, 'PATCH', `${path}/MAX`, seed.githubToken, { value: `${max}y` })).status).toBe(422)
    expect((await gh(emu, 'PATCH', `${path}/MAX`, seed.githubToken, { value: null })).status).toBe(422)
    expect(emu.github.variable('repo:acme/api', 'MAX')?.value).toBe(max)
    expect(() => emu.github.putVariable('repo:acme/api', 'BIG', `${max}y`)).toThrow(/48 KB/)
  })

  test('bad JSON is 400; a body that is not an object is 422', async () => {
    expect((await post('{"name": ')).status).toBe(400)
    expect((await gh(emu, 'PATCH', `${path}/X`, seed.githubToken, 'nope')).status).toBe(404) // missing wins
    emu.github.putVariable('repo:acme/api', 'X', 'v')
    expect((await gh(emu, 'PATCH', `${path}/X`, seed.githubToken, '{')).status).toBe(400)
    expect((await post([1])).status).toBe(422)
    expect(emu.github.variables('repo:acme/api')).toEqual({ X: expect.objectContaining({ value: 'v' }) })
  })
})

describe('GitHub Actions variables: organization visibility', () => {
  const path = '/orgs/acme/actions/variables'
  const post = (body: Record<string, unknown>) => gh(emu, 'POST', path, seed.githubToken, { value: 'v', ...body })

  test('visibility is required and checked; selected_repository_ids only with selected', async () => {
    expect((await post({ name: 'A' })).status).toBe(422)
    expect((await post({ name: 'A', visibility: 'public' })).status).toBe(422)
    expect((await post({ name: 'A', visibility: 'all', selected_repository_ids: [] })).status).toBe(422)
    const foreign = emu.github.repositoryId('solo/tool')
    expect((await post({ name: 'A', visibility: 'selected', selected_repository_ids: [foreign] })).status).toBe(422)
    expect(emu.github.variables('org:acme')).toEqual({})

    expect((await post({ name: 'EMPTY', visibility: 'selected', selected_repository_ids: [] })).status).toBe(201)
    expect(emu.github.variable('org:acme', 'EMPTY')).toMatchObject({
      visibility: 'selected',
      selectedRepositoryIds: []
    })
    expect((await post({ name: 'ALL', visibility: 'all' })).status).toBe(201)
  })

  test('a selected variable links to its repositories; PATCH changes visibility and keeps IDs', async () => {
    const api = emu.github.repositoryId('acme/api')!
    const web = emu.github.repositoryId('acme/web')!
    expect((await post({ name: 'SEL', visibility: 'selected', selected_repository_ids: [api] })).status).toBe(201)
    const read = await gh(emu, 'GET', `${path}/SEL`, seed.githubToken)
    expect(read.json).toMatchObject({ visibility: 'selected' })
    expect(read.json.selected_repositories_url).toBe(`${emu.githubUrl}/orgs/acme/actions/variables/SEL/repositories`)
    const repos = await gh(emu, 'GET', `${path}/SEL/repositories`, seed.githubToken)
    expect(repos.json).toMatchObject({ total_count: 1, repositories: [{ id: api, full_name: 'acme/api' }] })

    // A value-only PATCH keeps visibility and repositories.
    expect((await gh(emu, 'PATCH', `${path}/SEL`, seed.githubToken, { value: 'w' })).status).toBe(204)
    expect(emu.github.variable('org:acme', 'SEL')).toMatchObject({ value: 'w', selectedRepositoryIds: [api] })
    const ids = { selected_repository_ids: [api, web] }
    expect((await gh(emu, 'PATCH', `${path}/SEL`, seed.githubToken, ids)).status).toBe(204)
    expect(emu.github.variable('org:acme', 'SEL')?.selectedRepositoryIds).toEqual([api, web])
    expect((await gh(emu, 'PATCH', `${path}/SEL`, seed.githubToken, { visibility: 'all' })).status).toBe(204)
    const all = emu.github.variable('org:acme', 'SEL')
    expect([all?.visibility, all?.selectedRepositoryIds]).toEqual(['all', undefined])
    expect((await gh(emu, 'PATCH', `${path}/SEL`, seed.githubToken, ids)).status).toBe(422)
    expect((await gh(emu, 'GET', `${path}/SEL/repositories`, seed.githubToken)).status).toBe(409)
  })

  test('putVariable: organization variables default to private; visibility only on organizations', () => {
    emu.github.putVariable('org:acme', 'A', 'v')
    expect(emu.github.variable('org:acme', 'a')?.visibility).toBe('private')
    expect(() => emu.github.putVariable('repo:acme/api', 'A', 'v', { visibility: 'all' })).toThrow(/organization/)
    expect(emu.github.deleteVariable('org:acme', 'a')).toBe(true)
    expect(emu.github.deleteVariable('org:acme', 'a')).toBe(false)
  })
})

describe('GitHub Actions variables: permissions', () => {
  const repoVars = '/repos/acme/api/actions/variables'
  const envVars = '/repos/acme/api/environments/production/variables'
  const status = async (method: string, path: string, token: string, body?: unknown) =>
    (await gh(emu, method, path, token, body)).status

  test('by default a scoped token may use variables in its listed repo, environment and org scopes', async () => {
    emu.github.addToken('ghs_repo', { scopes: ['repo:acme/api', 'dependabot:acme/api'] })
    expect(await status('POST', repoVars, 'ghs_repo', { name: 'X', value: 'v' })).toBe(201)
    expect(await status('GET', `${repoVars}/X`, 'ghs_repo')).toBe(200)
    // Visible but not listed: 403 for reads too.
    const env = await gh(emu, 'GET', `${envVars}/X`, 'ghs_repo')
    expect([env.status, env.json.message]).toEqual([403, 'Resource not accessible by integration'])
    expect(await status('GET', '/orgs/acme/actions/variables', 'ghs_repo')).toBe(403)
    // Invisible: 404.
    expect(await status('GET', '/repos/acme/web/actions/variables', 'ghs_repo')).toBe(404)
    expect(await status('GET', '/orgs/solo/actions/variables', 'ghs_repo')).toBe(404)
  })

  test("'none' refuses reads and writes; read-only secret scopes grant no variables", async () => {
    emu.github.putVariable('repo:acme/api', 'X', 'v')
    emu.github.addToken('ghs_all_none', { scopes: 'all', variables: 'none' })
    emu.github.addToken('ghs_reader', { scopes: [], readScopes: ['repo:acme/api'] })
    for (const token of ['ghs_all_none', 'ghs_reader']) {
      expect(await status('GET', `${repoVars}/X`, token)).toBe(403)
      expect(await status('GET', repoVars, token)).toBe(403)
      expect(await status('PATCH', `${repoVars}/X`, token, { value: 'w' })).toBe(403)
      expect(await status('DELETE', `${repoVars}/X`, token)).toBe(403)
    }
    // Secrets are unaffected.
    expect(await status('GET', '/repos/acme/api/actions/secrets/public-key', 'ghs_all_none')).toBe(200)
    expect(emu.github.variable('repo:acme/api', 'X')?.value).toBe('v')
  })

  test('an explicit list grants variables only (and makes those scopes visible); "all" covers what it sees', async () => {
    emu.github.addToken('ghs_vars', { scopes: [], variables: ['environment:acme/api/production', 'org:acme'] })
    expect(await status('POST', envVars, 'ghs_vars', { name: 'X', value: 'v' })).toBe(201)
    expect(await status('GET', '/orgs/acme/actions/variables', 'ghs_vars')).toBe(200)
    expect(await status('GET', repoVars, 'ghs_vars')).toBe(403)
    expect(await status('GET', '/repos/acme/api/environments/production/secrets/public-key', 'ghs_vars')).toBe(403)

    emu.github.addToken('ghs_wide', { scopes: ['repo:acme/api'], variables: 'all' })
    expect(await status('GET', envVars, 'ghs_wide')).toBe(200)
    expect(await status('GET', '/repos/acme/web/actions/variables', 'ghs_wide')).toBe(404)

    expect(() => emu.github.addToken('ghs_bad', { scopes: [], variables: ['dependabot:acme/api'] })).toThrow(
      /no variables/
    )
  })
})

describe('GitHub Actions variables: rate limits', () => {
  test('POST, PATCH and DELETE are writes for the secondary limit; every call spends the primary budget', async () => {
    await emu.stop()
    ;({ emu, seed } = await startSeeded({ clock: clock.now, github: { writesPerMinute: 2, rateLimit: 10 } }))
    const path = '/repos/acme/api/actions/variables'
    expect((await gh(emu, 'POST', path, seed.githubToken, { name: 'A', value: 'v' })).status).toBe(201)
    expect((await gh(emu, 'PATCH', `${path}/A`, seed.githubToken, { value: 'w' })).status).toBe(204)
    const third = await gh(emu, 'DELETE', `${path}/A`, seed.githubToken)
    expect(third.status).toBe(403)
    expect(third.json.message).toMatch(/secondary rate limit/)
    expect(emu.github.secondaryLimitHits).toBe(1)
    const read = await gh(emu, 'GET', `${path}/A`, seed.githubToken)
    expect(read.status).toBe(200)
    expect(read.headers.get('x-ratelimit-used')).toBe('4')
  })
})
