import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import sodium from 'libsodium-wrappers'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, putSecret, seal, startSeeded } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
beforeEach(async () => {
  ;({ emu, seed } = await startSeeded())
  emu.github.addEnvironment('acme/api', 'preview/pr-1')
})
afterEach(() => emu.stop())

const SCOPES = [
  ['repo:acme/api', '/repos/acme/api/actions', {}],
  ['environment:acme/api/production', '/repos/acme/api/environments/production', {}],
  ['dependabot:acme/api', '/repos/acme/api/dependabot', {}],
  ['org:acme', '/orgs/acme/actions', { visibility: 'private' }],
  ['dependabot-org:acme', '/orgs/acme/dependabot', { visibility: 'all' }]
] as const

describe('GitHub secrets: sealed round trip', () => {
  test.each(SCOPES)('%s: public key, PUT 201 then 204, plaintext stored', async (scope, path, extra) => {
    const key = await gh(emu, 'GET', `${path}/secrets/public-key`, seed.githubToken)
    expect(key.status).toBe(200)
    expect(key.json).toEqual({ key_id: expect.stringMatching(/^\d+$/), key: expect.any(String) })
    expect(Buffer.from(key.json.key, 'base64')).toHaveLength(32)

    const created = await putSecret(emu, seed.githubToken, path, 'pscale_token', 'value-1 ✓', extra)
    expect(created.status).toBe(201)
    expect(created.json).toEqual({})
    const updated = await putSecret(emu, seed.githubToken, path, 'PSCALE_TOKEN', 'value-2', extra)
    expect(updated.status).toBe(204)
    expect(updated.text).toBe('')

    const stored = emu.github.secret(scope, 'PSCALE_TOKEN')
    expect(stored).toMatchObject({ name: 'PSCALE_TOKEN', value: 'value-2' })
    expect(emu.github.secret(scope, 'pscale_token')?.value).toBe('value-2')
    expect(Object.keys(emu.github.secrets(scope))).toEqual(['PSCALE_TOKEN'])

    const read = await gh(emu, 'GET', `${path}/secrets/pscale_token`, seed.githubToken)
    expect(read.status).toBe(200)
    expect(read.json).toMatchObject({ name: 'PSCALE_TOKEN', created_at: expect.stringMatching(/^[\d-]+T[\d:]+Z$/) })
    expect(read.text).not.toContain('value-2')
  })

  test('every scope has its own key: a box sealed for another scope is refused', async () => {
    const keys = await Promise.all(
      SCOPES.map(([, path]) => gh(emu, 'GET', `${path}/secrets/public-key`, seed.githubToken))
    )
    expect(new Set(keys.map((k) => k.json.key_id)).size).toBe(SCOPES.length)
    expect(new Set(keys.map((k) => k.json.key)).size).toBe(SCOPES.length)

    const [repoKey, envKey] = keys
    const res = await gh(emu, 'PUT', '/repos/acme/api/actions/secrets/X', seed.githubToken, {
      encrypted_value: await seal('v', envKey!.json.key),
      key_id: repoKey!.json.key_id
    })
    expect(res.status).toBe(422)
    expect(res.json.message).toBe('Bad request - validation failed due to an improperly encrypted secret')
  })

  test('URL-safe unpadded base64 (libsodium-wrappers default) → 422 with the pattern', async () => {
    const key = await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', seed.githubToken)
    await sodium.ready
    // 'value' seals to 53 bytes: unpadded base64 (71 chars) can never match the padded pattern.
    const box = sodium.crypto_box_seal(
      sodium.from_string('value'),
      sodium.from_base64(key.json.key, sodium.base64_variants.ORIGINAL)
    )
    const urlSafe = sodium.to_base64(box)
    expect(urlSafe).toHaveLength(71)
    const res = await gh(emu, 'PUT', '/repos/acme/api/actions/secrets/X', seed.githubToken, {
      encrypted_value: urlSafe,
      key_id: key.json.key_id
    })
    expect(res.status).toBe(422)
    expect(res.json.message).toMatch(
      /^Invalid request\.\n\n.*encrypted_value.* does not match \/\^\(\?:\[A-Za-z0-9\+\/\]\{4\}\)\*/s
    )
    expect(res.json.message).not.toContain(urlSafe)
    expect(emu.github.secret('repo:acme/api', 'X')).toBeUndefined()
  })

  test.each([
    [
      'a wrong key_id',
      async (key: { key: string; key_id: string }) => ({ encrypted_value: await seal('v', key.key), key_id: '1' })
    ],
    [
      'garbage ciphertext',
      async (key: { key: string; key_id: string }) => ({
        encrypted_value: Buffer.alloc(64, 7).toString('base64'),
        key_id: key.key_id
      })
    ],
    [
      'an empty ciphertext',
      async (key: { key: string; key_id: string }) => ({ encrypted_value: '', key_id: key.key_id })
    ]
  ])('%s → 422 improperly encrypted', async (_, body) => {
    const key = await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', seed.githubToken)
    const res = await gh(emu, 'PUT', '/repos/acme/api/actions/secrets/X', seed.githubToken, await body(key.json))
    expect(res.status).toBe(422)
    expect(res.json).toEqual({
      message: 'Bad request - validation failed due to an improperly encrypted secret',
      documentation_url: expect.any(String)
    })
  })

  test('a rotated key refuses boxes sealed for the old one', async () => {
    const old = await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', seed.githubToken)
    emu.github.rotateKey('repo:acme/api')
    const res = await gh(emu, 'PUT', '/repos/acme/api/actions/secrets/X', seed.githubToken, {
      encrypted_value: await seal('v', old.json.key),
      key_id: old.json.key_id
    })
    expect(res.status).toBe(422)
    expect(emu.github.publicKey('repo:acme/api').key_id).not.toBe(old.json.key_id)
  })

  test.each([
    ['1ABC', 422],
    ['GITHUB_TOKEN', 422],
    ['github_x', 422],
    ['A-B', 422],
    ['_ok_1', 201]
  ])('name %s → %i', async (name, status) => {
    const res = await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', name, 'v')
    expect(res.status).toBe(status)
  })

  test('missing fields and bad JSON are refused before anything is stored', async () => {
    const key = (await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', seed.githubToken)).json
    const put = (body: unknown) => gh(emu, 'PUT', '/repos/acme/api/actions/secrets/X', seed.githubToken, body)
    expect((await put({ key_id: key.key_id })).status).toBe(422)
    expect((await put({ encrypted_value: await seal('v', key.key) })).status).toBe(422)
    expect((await put({ encrypted_value: await seal('v', key.key), key_id: Number(key.key_id) })).status).toBe(422)
    const bad = await put('{"encrypted_value":')
    expect(bad.status).toBe(400)
    expect(bad.json.message).toBe('Problems parsing JSON')
    expect(emu.github.secrets('repo:acme/api')).toEqual({})
  })

  test('environment names are URL-decoded; a missing environment or repository is 404', async () => {
    const res = await putSecret(
      emu,
      seed.githubToken,
      `/repos/acme/api/environments/${encodeURIComponent('preview/pr-1')}`,
      'X',
      'v'
    )
    expect(res.status).toBe(201)
    expect(emu.github.secret('environment:acme/api/preview/pr-1', 'X')?.value).toBe('v')
    expect(
      (await gh(emu, 'GET', '/repos/acme/api/environments/staging/secrets/public-key', seed.githubToken)).status
    ).toBe(404)
    expect((await gh(emu, 'GET', '/repos/acme/nope/actions/secrets/public-key', seed.githubToken)).json).toEqual({
      message: 'Not Found',
      documentation_url: expect.any(String)
    })
  })

  test('DELETE answers 204 then 404; list is paged with total_count', async () => {
    for (const name of ['A', 'B', 'C']) emu.github.putSecretPlain('repo:acme/api', name, 'v')
    const page = await gh(emu, 'GET', '/repos/acme/api/actions/secrets?per_page=2&page=2', seed.githubToken)
    expect(page.json).toEqual({
      total_count: 3,
      secrets: [{ name: 'C', created_at: expect.any(String), updated_at: expect.any(String) }]
    })
    expect((await gh(emu, 'DELETE', '/repos/acme/api/actions/secrets/b', seed.githubToken)).status).toBe(204)
    expect((await gh(emu, 'DELETE', '/repos/acme/api/actions/secrets/b', seed.githubToken)).status).toBe(404)
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/B', seed.githubToken)).status).toBe(404)
    expect(Object.keys(emu.github.secrets('repo:acme/api'))).toEqual(['A', 'C'])
  })

  test('GET /repos/{owner}/{repo} gives the numeric id', async () => {
    const res = await gh(emu, 'GET', '/repos/ACME/API', seed.githubToken)
    expect(res.json).toMatchObject({
      id: emu.github.repositoryId('acme/api'),
      name: 'api',
      full_name: 'acme/api',
      owner: { login: 'acme' }
    })
  })
})

describe('GitHub organization secrets: visibility', () => {
  let webId: number
  beforeEach(() => {
    webId = emu.github.addRepository('acme/web')
    emu.github.addRepository('other/thing')
  })

  test('visibility is required and must be all, private or selected', async () => {
    expect((await putSecret(emu, seed.githubToken, '/orgs/acme/actions', 'X', 'v')).status).toBe(422)
    expect(
      (await putSecret(emu, seed.githubToken, '/orgs/acme/actions', 'X', 'v', { visibility: 'public' })).status
    ).toBe(422)
    expect(emu.github.secret('org:acme', 'X')).toBeUndefined()
  })

  test('selected keeps its repository ids, readable through the paged repositories endpoint', async () => {
    const apiId = emu.github.repositoryId('acme/api')
    const res = await putSecret(emu, seed.githubToken, '/orgs/acme/actions', 'X', 'v', {
      visibility: 'selected',
      selected_repository_ids: [apiId, webId]
    })
    expect(res.status).toBe(201)
    expect(emu.github.secret('org:acme', 'X')).toMatchObject({
      value: 'v',
      visibility: 'selected',
      selectedRepositoryIds: [apiId, webId]
    })

    const meta = await gh(emu, 'GET', '/orgs/acme/actions/secrets/X', seed.githubToken)
    expect(meta.json).toMatchObject({
      visibility: 'selected',
      selected_repositories_url: `${emu.githubUrl}/orgs/acme/actions/secrets/X/repositories`
    })
    const repos = await gh(emu, 'GET', '/orgs/acme/actions/secrets/X/repositories?per_page=1&page=2', seed.githubToken)
    expect(repos.json).toEqual({
      total_count: 2,
      repositories: [{ id: webId, name: 'web', full_name: 'acme/web', owner: { login: 'acme' }, private: true }]
    })
  })

  test('every PUT re-sets visibility', async () => {
    emu.github.putSecretPlain('org:acme', 'X', 'old', { visibility: 'selected', selectedRepositoryIds: [webId] })
    expect(
      (await putSecret(emu, seed.githubToken, '/orgs/acme/actions', 'X', 'new', { visibility: 'all' })).status
    ).toBe(204)
    const stored = emu.github.secret('org:acme', 'X')
    expect(stored).toMatchObject({ value: 'new', visibility: 'all' })
    expect(stored?.selectedRepositoryIds).toBeUndefined()
    expect(
      (await gh(emu, 'GET', '/orgs/acme/actions/secrets/X', seed.githubToken)).json.selected_repositories_url
    ).toBeUndefined()
    expect((await gh(emu, 'GET', '/orgs/acme/actions/secrets/X/repositories', seed.githubToken)).status).toBe(409)
  })

  test.each([
    ['ids without selected', () => ({ visibility: 'private', selected_repository_ids: [webId] })],
    ['ids that are strings', () => ({ visibility: 'selected', selected_repository_ids: [String(webId)] })],
    [
      'an id from another owner',
      () => ({ visibility: 'selected', selected_repository_ids: [emu.github.repositoryId('other/thing')] })
    ],
    ['an unknown id', () => ({ visibility: 'selected', selected_repository_ids: [1] })]
  ])('%s → 422', async (_, extra) => {
    const res = await putSecret(emu, seed.githubToken, '/orgs/acme/actions', 'X', 'v', extra())
    expect(res.status).toBe(422)
    expect(emu.github.secret('org:acme', 'X')).toBeUndefined()
  })

  test('putSecretPlain validates like the API', () => {
    expect(() =>
      emu.github.putSecretPlain('org:acme', 'X', 'v', { visibility: 'selected', selectedRepositoryIds: [1] })
    ).toThrow(/not in acme/)
    expect(() => emu.github.putSecretPlain('repo:acme/api', 'GITHUB_X', 'v')).toThrow()
    expect(() => emu.github.putSecretPlain('repo:nope/nope', 'X', 'v')).toThrow(/no GitHub scope/)
  })
})

describe('GitHub: what the check for shadowed copies lists', () => {
  test('environments of a repository: paged, names and times only; 404 for a repository the token cannot see', async () => {
    emu.github.addEnvironment('acme/api', 'staging')
    const first = await gh(emu, 'GET', '/repos/acme/api/environments?per_page=2&page=1', seed.githubToken)
    expect(first.status).toBe(200)
    expect(first.json).toEqual({
      total_count: 3,
      environments: [
        { name: 'preview/pr-1', created_at: expect.stringMatching(/Z$/), updated_at: expect.stringMatching(/Z$/) },
        { name: 'production', created_at: expect.any(String), updated_at: expect.any(String) }
      ]
    })
    const second = await gh(emu, 'GET', '/repos/acme/api/environments?per_page=2&page=2', seed.githubToken)
    expect(second.json.environments.map((e: { name: string }) => e.name)).toEqual(['staging'])

    emu.github.addRepository('other/repo', { environments: ['x'] })
    emu.github.addToken('ghs_apiOnly', { scopes: ['repo:acme/api'] })
    expect((await gh(emu, 'GET', '/repos/other/repo/environments', 'ghs_apiOnly')).status).toBe(404)
    expect((await gh(emu, 'GET', '/repos/acme/api/environments', 'ghs_apiOnly')).status).toBe(200)
  })

  test('secrets of an environment: names and times, never values; 403 without access to it', async () => {
    emu.github.putSecretPlain('environment:acme/api/production', 'PSCALE', 'the-value')
    const list = await gh(emu, 'GET', '/repos/acme/api/environments/production/secrets', seed.githubToken)
    expect(list.json).toEqual({
      total_count: 1,
      secrets: [{ name: 'PSCALE', created_at: expect.any(String), updated_at: expect.any(String) }]
    })
    expect(list.text).not.toContain('the-value')
    emu.github.addToken('ghs_apiOnly', { scopes: ['repo:acme/api'] })
    expect((await gh(emu, 'GET', '/repos/acme/api/environments/production/secrets', 'ghs_apiOnly')).status).toBe(403)
  })

  test('setDependabot(false): every Dependabot endpoint answers 404, as a GHES without it; Actions still work', async () => {
    emu.github.setDependabot(false)
    for (const path of ['/repos/acme/api/dependabot/secrets/public-key', '/orgs/acme/dependabot/secrets/public-key']) {
      expect((await gh(emu, 'GET', path, seed.githubToken)).status).toBe(404)
    }
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/dependabot', 'X', 'v')).status).toBe(404)
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', seed.githubToken)).status).toBe(200)
    emu.github.setDependabot(true)
    expect((await gh(emu, 'GET', '/repos/acme/api/dependabot/secrets/public-key', seed.githubToken)).status).toBe(200)
  })
})
