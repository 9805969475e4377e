import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, putSecret, startSeeded } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
afterEach(() => emu.stop())

describe('GitHub token model', () => {
  beforeEach(async () => {
    ;({ emu, seed } = await startSeeded())
    emu.github.addRepository('acme/web')
    emu.github.addRepository('solo/tool')
  })

  test('no token → 401 Requires authentication; unknown token → 401 Bad credentials (both schemes)', async () => {
    const none = await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', undefined)
    expect(none.status).toBe(401)
    expect(none.json.message).toBe('Requires authentication')
    const bad = await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', 'ghs_unknown')
    expect(bad.status).toBe(401)
    expect(bad.json).toEqual({ message: 'Bad credentials', documentation_url: expect.any(String) })
    const scheme = await fetch(`${emu.githubUrl}/repos/acme/api`, {
      headers: { authorization: `token ${seed.githubToken}` }
    })
    expect(scheme.status).toBe(200)
  })

  test('a repository the token cannot see is 404; a visible scope it lacks is 403', async () => {
    emu.github.addToken('ghs_repoOnly', { scopes: ['repo:acme/api'] })
    expect((await putSecret(emu, 'ghs_repoOnly', '/repos/acme/api/actions', 'X', 'v')).status).toBe(201)
    // Same repository, another store: visible but not permitted.
    const env = await putSecret(emu, 'ghs_repoOnly', '/repos/acme/api/environments/production', 'X', 'v')
    expect(env.status).toBe(403)
    expect(env.json.message).toBe('Resource not accessible by integration')
    expect((await gh(emu, 'GET', '/repos/acme/api/dependabot/secrets/public-key', 'ghs_repoOnly')).status).toBe(403)
    // Another repository: invisible.
    expect((await gh(emu, 'GET', '/repos/acme/web/actions/secrets/public-key', 'ghs_repoOnly')).status).toBe(404)
    expect((await gh(emu, 'GET', '/repos/acme/web', 'ghs_repoOnly')).status).toBe(404)
    // Its owner organization is visible (through the repository), its secrets are not writable.
    expect((await gh(emu, 'GET', '/orgs/acme/actions/secrets/public-key', 'ghs_repoOnly')).status).toBe(403)
    expect((await gh(emu, 'GET', '/orgs/solo/actions/secrets/public-key', 'ghs_repoOnly')).status).toBe(404)
  })

  test('read-only scopes can read the public key and metadata but not write', async () => {
    emu.github.addToken('ghs_readOnly', { scopes: [], readScopes: ['repo:acme/api'] })
    emu.github.putSecretPlain('repo:acme/api', 'X', 'v')
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/public-key', 'ghs_readOnly')).status).toBe(200)
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/X', 'ghs_readOnly')).status).toBe(200)
    expect((await putSecret(emu, 'ghs_readOnly', '/repos/acme/api/actions', 'X', 'w')).status).toBe(403)
    expect((await gh(emu, 'DELETE', '/repos/acme/api/actions/secrets/X', 'ghs_readOnly')).status).toBe(403)
    expect(emu.github.secret('repo:acme/api', 'X')?.value).toBe('v')
  })

  test('an organization-scoped token sees the organization’s repositories', async () => {
    emu.github.addToken('ghs_org', { scopes: ['org:acme'] })
    expect((await gh(emu, 'GET', '/repos/acme/web', 'ghs_org')).status).toBe(200)
    expect((await gh(emu, 'GET', '/repos/solo/tool', 'ghs_org')).status).toBe(404)
    expect((await putSecret(emu, 'ghs_org', '/orgs/acme/actions', 'X', 'v', { visibility: 'private' })).status).toBe(
      201
    )
    expect((await gh(emu, 'GET', '/orgs/acme/dependabot/secrets/public-key', 'ghs_org')).status).toBe(403)
  })

  test('a removed token is bad credentials', async () => {
    emu.github.removeToken(seed.githubToken)
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(401)
  })
})

describe('GitHub rate limits', () => {
  test('every response carries the primary rate-limit headers; /rate_limit is free', async () => {
    ;({ emu, seed } = await startSeeded({ github: { rateLimit: 3 } }))
    const first = await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    expect(first.headers.get('x-ratelimit-limit')).toBe('3')
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2')
    expect(first.headers.get('x-ratelimit-used')).toBe('1')
    expect(first.headers.get('x-ratelimit-resource')).toBe('core')
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
    const status = await gh(emu, 'GET', '/rate_limit', seed.githubToken)
    expect(status.json.resources.core).toMatchObject({ limit: 3, remaining: 2, used: 1 })
    await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    const limited = await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    expect(limited.status).toBe(403)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(limited.json.message).toMatch(/rate limit exceeded/)
  })

  test('writes faster than writesPerMinute get 403 + retry-after and are counted', async () => {
    ;({ emu, seed } = await startSeeded({ github: { writesPerMinute: 2, secondaryRetryAfterSeconds: 3 } }))
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'A', 'v')).status).toBe(201)
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'B', 'v')).status).toBe(201)
    const third = await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'C', 'v')
    expect(third.status).toBe(403)
    expect(third.headers.get('retry-after')).toBe('3')
    expect(third.json.message).toBe(
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
    )
    expect((await gh(emu, 'DELETE', '/repos/acme/api/actions/secrets/A', seed.githubToken)).status).toBe(403)
    expect(emu.github.secondaryLimitHits).toBe(2)
    expect(emu.github.secret('repo:acme/api', 'C')).toBeUndefined()
    // Reads are not writes.
    expect((await gh(emu, 'GET', '/repos/acme/api/actions/secrets/A', seed.githubToken)).status).toBe(200)
  })

  test('the sliding window frees up as writes age out', async () => {
    let now = Date.parse('2026-11-22T06:00:00Z')
    ;({ emu, seed } = await startSeeded({ clock: () => now, github: { writesPerMinute: 1 } }))
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'A', 'v')).status).toBe(201)
    now += 59_000
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'B', 'v')).status).toBe(403)
    now += 1_001
    expect((await putSecret(emu, seed.githubToken, '/repos/acme/api/actions', 'B', 'v')).status).toBe(201)
  })

  test('more concurrent requests than maxConcurrent → secondary limit', async () => {
    ;({ emu, seed } = await startSeeded({ github: { maxConcurrent: 2 } }))
    emu.setLatency({ github: 150 })
    const replies = await Promise.all([1, 2, 3, 4].map(() => gh(emu, 'GET', '/repos/acme/api', seed.githubToken)))
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 403, 403])
    expect(emu.github.secondaryLimitHits).toBe(2)
    expect(emu.github.concurrency.peak).toBe(4)
  })
})
