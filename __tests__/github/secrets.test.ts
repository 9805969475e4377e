// The SecretsApi on the wire (GHES base URL): paths per target kind, PUT bodies,
// organization visibility, key caching and the 422 key-rotation retry.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import type { TargetSpec } from '../../src/inputs/targets.js'
import {
  dependabotOrgTarget,
  dependabotTarget,
  environmentTarget,
  expectNothingSecret,
  github,
  harness,
  keyPair,
  open,
  ORIGIN,
  orgTarget,
  PREFIX,
  repoTarget,
  scopePaths
} from './helpers.js'

const VALUE = 'pscale_tkn_secretsTestValue'

type PutBody = {
  encrypted_value: string
  key_id: string
  visibility?: string
  selected_repository_ids?: number[]
}

/** A PUT interceptor body matcher that keeps what was sent. */
function capture(into: PutBody[]) {
  return (body: PutBody) => {
    into.push(body)
    return true
  }
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe('repository, environment and Dependabot targets', () => {
  test.each([
    ['repo', repoTarget],
    ['environment', environmentTarget],
    ['dependabot', dependabotTarget]
  ] as const)('%s: exact paths, token header, body, 201 then 204', async (_kind, spec) => {
    const pair = await keyPair()
    const scopePath = scopePaths[spec.kind]
    const seen: string[] = []
    const bodies: PutBody[] = []
    const api = github()
      .matchHeader('user-agent', /^pscale-token-action\/1 /)
      .get(`${scopePath}/secrets/public-key`)
      .reply(200, function (uri) {
        seen.push(`GET ${uri}`)
        return pair.body
      })
      .put(`${scopePath}/secrets/PLANETSCALE_SERVICE_TOKEN_ID`, capture(bodies))
      .reply(201, function (uri) {
        seen.push(`PUT ${uri}`)
        return {}
      })
      .put(`${scopePath}/secrets/PLANETSCALE_SERVICE_TOKEN`, capture(bodies))
      .reply(204)

    const target = await harness().secrets.prepare(spec, ['PLANETSCALE_SERVICE_TOKEN_ID', 'PLANETSCALE_SERVICE_TOKEN'])
    expect(target.spec).toBe(spec)
    await expect(target.writeSecret('PLANETSCALE_SERVICE_TOKEN_ID', 'id-1')).resolves.toBe('created')
    await expect(target.writeSecret('PLANETSCALE_SERVICE_TOKEN', VALUE)).resolves.toBe('updated')

    expect(api.isDone()).toBe(true)
    // The raw URI as sent: the environment name is encoded exactly once.
    expect(seen).toEqual([
      `GET ${scopePath}/secrets/public-key`,
      `PUT ${scopePath}/secrets/PLANETSCALE_SERVICE_TOKEN_ID`
    ])
    expect(bodies.map((b) => Object.keys(b).sort())).toEqual([
      ['encrypted_value', 'key_id'],
      ['encrypted_value', 'key_id']
    ])
    expect(bodies.map((b) => b.key_id)).toEqual([pair.keyId, pair.keyId])
    expect(bodies.map((b) => open(b.encrypted_value, pair))).toEqual(['id-1', VALUE])
  })

  test('the environment path encodes "/" and " " once', () => {
    expect(scopePaths.environment).toBe('/api/v3/repos/acme/api/environments/prod%2Feu%20west')
  })
})

describe('public keys are fetched once per scope', () => {
  test('two targets on one scope share one read; other scopes of the same repo get their own key', async () => {
    const actionsKey = await keyPair()
    const dependabotKey = await keyPair()
    const bodies: PutBody[] = []
    const dependabotBodies: PutBody[] = []
    // Each key endpoint answers once: a second read would find no interceptor and fail.
    const api = github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, actionsKey.body)
      .get(`${scopePaths.dependabot}/secrets/public-key`)
      .reply(200, dependabotKey.body)
      .put(`${scopePaths.repo}/secrets/A`, capture(bodies))
      .reply(204)
      .put(`${PREFIX}/repos/ACME/API/actions/secrets/A`, capture(bodies))
      .reply(204)
      .put(`${scopePaths.dependabot}/secrets/A`, capture(dependabotBodies))
      .reply(204)

    const { secrets } = harness()
    const sameRepo: TargetSpec = { kind: 'repo', label: 'ACME/API', owner: 'ACME', repo: 'API' }
    const targets = await Promise.all([
      secrets.prepare(repoTarget, ['A']),
      secrets.prepare(sameRepo, ['A']),
      secrets.prepare(dependabotTarget, ['A'])
    ])
    for (const target of targets) await target.writeSecret('A', VALUE)

    expect(api.isDone()).toBe(true)
    expect(bodies.map((b) => open(b.encrypted_value, actionsKey))).toEqual([VALUE, VALUE])
    expect(open(dependabotBodies[0]!.encrypted_value, dependabotKey)).toBe(VALUE)
    expect(() => open(dependabotBodies[0]!.encrypted_value, actionsKey)).toThrow()
  })

  test('a failed key read is not cached: a later prepare reads again', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(404, { message: 'Not Found' })
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, pair.body)
    const { secrets } = harness()
    await expect(secrets.prepare(repoTarget, ['A'])).rejects.toMatchObject({ status: 404 })
    await expect(secrets.prepare(repoTarget, ['A'])).resolves.toMatchObject({ spec: repoTarget })
  })
})

describe('organization targets', () => {
  const kinds = [
    ['org', orgTarget],
    ['dependabot-org', dependabotOrgTarget]
  ] as const

  test.each(kinds)('%s: an existing secret keeps its visibility; a new one is private', async (_kind, spec) => {
    const pair = await keyPair()
    const scopePath = scopePaths[spec.kind]
    const bodies: Record<string, PutBody> = {}
    const api = github()
      .get(`${scopePath}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${scopePath}/secrets/OLD`)
      .reply(200, { name: 'OLD', visibility: 'all', created_at: 'x', updated_at: 'x' })
      .get(`${scopePath}/secrets/NEW`)
      .reply(404, { message: 'Not Found' })
      .put(`${scopePath}/secrets/OLD`, (b: PutBody) => ((bodies.OLD = b), true))
      .reply(204)
      .put(`${scopePath}/secrets/NEW`, (b: PutBody) => ((bodies.NEW = b), true))
      .reply(201, {})

    const target = await harness().secrets.prepare(spec, ['OLD', 'NEW'])
    await expect(target.writeSecret('OLD', VALUE)).resolves.toBe('updated')
    await expect(target.writeSecret('NEW', VALUE)).resolves.toBe('created')

    expect(api.isDone()).toBe(true)
    expect(bodies.OLD).toEqual({ encrypted_value: expect.any(String), key_id: pair.keyId, visibility: 'all' })
    expect(bodies.NEW).toEqual({ encrypted_value: expect.any(String), key_id: pair.keyId, visibility: 'private' })
    expect(open(bodies.NEW!.encrypted_value, pair)).toBe(VALUE)
  })

  test.each(kinds)(
    '%s: an existing "selected" secret keeps all its repositories, across pages',
    async (_kind, spec) => {
      const pair = await keyPair()
      const scopePath = scopePaths[spec.kind]
      const firstPage = Array.from({ length: 100 }, (_, i) => ({ id: 1000 + i, name: `r${i}` }))
      const bodies: PutBody[] = []
      const api = github()
        .get(`${scopePath}/secrets/public-key`)
        .reply(200, pair.body)
        .get(`${scopePath}/secrets/SHARED`)
        .reply(200, { name: 'SHARED', visibility: 'selected', selected_repositories_url: 'x' })
        .get(`${scopePath}/secrets/SHARED/repositories`)
        .query({ per_page: '100', page: '1' })
        .reply(200, { total_count: 102, repositories: firstPage })
        .get(`${scopePath}/secrets/SHARED/repositories`)
        .query({ per_page: '100', page: '2' })
        .reply(200, { total_count: 102, repositories: [{ id: 7 }, { id: 8 }] })
        .put(`${scopePath}/secrets/SHARED`, capture(bodies))
        .reply(204)

      const target = await harness().secrets.prepare(spec, ['SHARED'])
      await target.writeSecret('SHARED', VALUE)

      expect(api.isDone()).toBe(true)
      expect(bodies[0]).toMatchObject({ visibility: 'selected', key_id: pair.keyId })
      expect(bodies[0]!.selected_repository_ids).toEqual([...firstPage.map((r) => r.id), 7, 8])
    }
  )

  test('visibility=selected from the target line: names resolved with repos.get, nothing read back', async () => {
    const pair = await keyPair()
    const spec: TargetSpec = {
      kind: 'org',
      label: 'org:acme visibility=selected repositories=api,other/web,api',
      org: 'acme',
      visibility: 'selected',
      selectedRepositories: ['api', 'other/web', 'api']
    }
    const bodies: PutBody[] = []
    // No GET of the existing secret is mocked: reading it would fail the test.
    const api = github()
      .get(`${scopePaths.org}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${PREFIX}/repos/acme/api`)
      .reply(200, { id: 11, name: 'api' })
      .get(`${PREFIX}/repos/other/web`)
      .reply(200, { id: 22, name: 'web' })
      .put(`${scopePaths.org}/secrets/ID`, capture(bodies))
      .reply(201, {})
      .put(`${scopePaths.org}/secrets/TOKEN`, capture(bodies))
      .reply(201, {})

    const target = await harness().secrets.prepare(spec, ['ID', 'TOKEN'])
    await target.writeSecret('ID', 'id')
    await target.writeSecret('TOKEN', VALUE)

    expect(api.isDone()).toBe(true)
    for (const body of bodies) {
      expect(body).toEqual({
        encrypted_value: expect.any(String),
        key_id: pair.keyId,
        visibility: 'selected',
        selected_repository_ids: [11, 22]
      })
    }
  })

  test('visibility=all from the target line is sent as is, without repository IDs', async () => {
    const pair = await keyPair()
    const spec: TargetSpec = {
      kind: 'dependabot-org',
      label: 'dependabot-org:acme visibility=all',
      org: 'acme',
      visibility: 'all'
    }
    const bodies: PutBody[] = []
    github()
      .get(`${scopePaths['dependabot-org']}/secrets/public-key`)
      .reply(200, pair.body)
      .put(`${scopePaths['dependabot-org']}/secrets/ANY_NAME`, capture(bodies))
      .reply(204)
    const target = await harness().secrets.prepare(spec, [])
    await target.writeSecret('ANY_NAME', VALUE)
    expect(bodies).toEqual([{ encrypted_value: expect.any(String), key_id: pair.keyId, visibility: 'all' }])
  })

  test('writing a secret that was not prepared is refused without a request', async () => {
    const pair = await keyPair()
    github().get(`${scopePaths.org}/secrets/public-key`).reply(200, pair.body)
    const target = await harness().secrets.prepare(orgTarget, [])
    await expect(target.writeSecret('OTHER', VALUE)).rejects.toThrow(
      /^org:acme: write secret OTHER failed: secret OTHER was not named when the target was prepared$/
    )
  })

  test('an unknown existing visibility is not guessed', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths.org}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${scopePaths.org}/secrets/A`)
      .reply(200, { name: 'A', visibility: 'internal' })
    await expect(harness().secrets.prepare(orgTarget, ['A'])).rejects.toThrow(
      /read existing org secret A failed: .*"internal".*set visibility= on the target line/
    )
  })
})

describe('422 improperly encrypted: the key rotated', () => {
  const improperly = { message: 'Bad request - validation failed due to an improperly encrypted secret' }

  test('re-reads the key once, retries once, and later writes use the new key', async () => {
    const oldKey = await keyPair()
    const newKey = await keyPair()
    const bodies: PutBody[] = []
    const api = github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, oldKey.body)
      .put(`${scopePaths.repo}/secrets/A`, capture(bodies))
      .reply(422, improperly)
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, newKey.body)
      .put(`${scopePaths.repo}/secrets/A`, capture(bodies))
      .reply(201, {})
      .put(`${scopePaths.repo}/secrets/B`, capture(bodies))
      .reply(201, {})

    const { secrets, log } = harness()
    const target = await secrets.prepare(repoTarget, ['A', 'B'])
    await expect(target.writeSecret('A', VALUE)).resolves.toBe('created')
    await expect(target.writeSecret('B', VALUE)).resolves.toBe('created')

    expect(api.isDone()).toBe(true)
    expect(bodies.map((b) => b.key_id)).toEqual([oldKey.keyId, newKey.keyId, newKey.keyId])
    expect(open(bodies[1]!.encrypted_value, newKey)).toBe(VALUE)
    expect(log.lines).toContain(
      'warning: repo:acme/api: GitHub could not decrypt A; reading the public key again and retrying once'
    )
  })

  test('a second 422 fails the write; the key is re-read only once', async () => {
    const pair = await keyPair()
    const api = github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .times(2)
      .reply(200, pair.body)
      .put(`${scopePaths.repo}/secrets/A`)
      .times(2)
      .reply(422, improperly)
    const target = await harness().secrets.prepare(repoTarget, ['A'])
    await expect(target.writeSecret('A', VALUE)).rejects.toMatchObject({
      name: 'GitHubTargetError',
      status: 422,
      step: 'write secret A',
      message: expect.stringMatching(/improperly encrypted.*even after the public key was read again/)
    })
    expect(api.isDone()).toBe(true)
  })

  test('another 422 (validation) is not retried', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, pair.body)
      .put(`${scopePaths.repo}/secrets/A`)
      .reply(422, { message: 'Invalid request.\n\n"encrypted_value" does not match /^(?:[A-Za-z0-9+/]{4})*/' })
    const target = await harness().secrets.prepare(repoTarget, ['A'])
    await expect(target.writeSecret('A', VALUE)).rejects.toThrow(/validation failed.*check the secret name/)
  })
})

describe('error messages', () => {
  /** Fail the public-key read of `spec` with `status` and GitHub's `message`. */
  async function keyReadFailure(spec: TargetSpec, status: number, message: string) {
    github()
      .get(`${scopePaths[spec.kind]}/secrets/public-key`)
      .reply(status, { message, documentation_url: 'https://docs.github.com/rest/secret-doc-link' })
    const { secrets, log } = harness()
    const error = (await secrets.prepare(spec, []).catch((e: unknown) => e)) as Error & Record<string, unknown>
    expect(error.name).toBe('GitHubTargetError')
    expect(error).toMatchObject({ target: spec.label, step: 'read public key', status })
    expect(error.message.startsWith(`${spec.label}: read public key failed (HTTP ${status} "${message}"). `)).toBe(true)
    expectNothingSecret(error.message, 'secret-doc-link')
    expectNothingSecret(log.lines.join('\n'))
    return error.message
  }

  /** Fail the PUT of `spec` with `status` and GitHub's `message`, after a good key read. */
  async function writeFailure(spec: TargetSpec, status: number, message: string) {
    const pair = await keyPair()
    const bodies: PutBody[] = []
    const isOrg = spec.kind === 'org' || spec.kind === 'dependabot-org'
    const api = github().get(`${scopePaths[spec.kind]}/secrets/public-key`).reply(200, pair.body)
    if (isOrg) api.get(`${scopePaths[spec.kind]}/secrets/A`).reply(404, { message: 'Not Found' })
    api
      .put(`${scopePaths[spec.kind]}/secrets/A`, capture(bodies))
      .reply(status, { message, documentation_url: 'https://docs.github.com/rest/secret-doc-link' })
    const { secrets, log } = harness()
    const target = await secrets.prepare(spec, ['A'])
    const error = (await target.writeSecret('A', VALUE).catch((e: unknown) => e)) as Error & Record<string, unknown>
    expect(error).toMatchObject({ name: 'GitHubTargetError', target: spec.label, step: 'write secret A', status })
    expect(error.message.startsWith(`${spec.label}: write secret A failed (HTTP ${status} "${message}"). `)).toBe(true)
    // Exactly one PUT: 4xx answers are not retried.
    expect(bodies).toHaveLength(1)
    expectNothingSecret(error.message, VALUE, bodies[0]!.encrypted_value, 'secret-doc-link')
    expectNothingSecret(log.lines.join('\n'), VALUE, bodies[0]!.encrypted_value)
    return error.message
  }

  test('401: the github-token is invalid or expired', async () => {
    expect(await keyReadFailure(repoTarget, 401, 'Bad credentials')).toMatch(/github-token is invalid or expired/)
  })

  test.each([
    [repoTarget, /"Secrets: write".*permission-secrets: write; classic PAT: repo\)/],
    [environmentTarget, /"Environments: write" and "Secrets: write".*permission-environments: write/],
    [dependabotTarget, /"Dependabot secrets: write".*permission-dependabot-secrets: write; classic PAT: repo\)/],
    [
      orgTarget,
      /organization permission "Secrets: write".*permission-organization-secrets: write; classic PAT: admin:org/
    ],
    [
      dependabotOrgTarget,
      /organization permission "Dependabot secrets: write".*leave those inputs out.*classic PAT: admin:org/
    ]
  ])('403 not accessible (%#): names the permission and rules out GITHUB_TOKEN', async (spec, permission) => {
    const message = await writeFailure(spec, 403, 'Resource not accessible by integration')
    expect(message).toMatch(permission)
    expect(message).toMatch(/lacks the permission/)
    expect(message).toContain("The workflow's GITHUB_TOKEN cannot write secrets")
  })

  test('403 without admin rights also names the permission', async () => {
    expect(await keyReadFailure(repoTarget, 403, 'Must have admin rights to Repository.')).toMatch(
      /needs repository permission "Secrets: write"/
    )
  })

  test('404 on a repository: does not exist or cannot be seen', async () => {
    expect(await keyReadFailure(repoTarget, 404, 'Not Found')).toMatch(
      /Repository acme\/api does not exist or the github-token cannot see it \(GitHub answers 404 for both\)/
    )
  })

  test('404 on an environment: create it in Settings → Environments', async () => {
    expect(await keyReadFailure(environmentTarget, 404, 'Not Found')).toMatch(
      /environment "prod\/eu west" does not exist.*create the environment in the repository's Settings → Environments/
    )
  })

  test('404 on an organization', async () => {
    expect(await keyReadFailure(dependabotOrgTarget, 404, 'Not Found')).toMatch(
      /Organization acme does not exist or the github-token cannot see it/
    )
  })

  test('404 resolving a selected repository names it', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths.org}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${PREFIX}/repos/acme/gone`)
      .reply(404, { message: 'Not Found' })
    const spec: TargetSpec = {
      kind: 'org',
      label: 'org:acme',
      org: 'acme',
      visibility: 'selected',
      selectedRepositories: ['gone']
    }
    await expect(harness().secrets.prepare(spec, ['A'])).rejects.toMatchObject({
      step: 'resolve repository gone',
      status: 404,
      message: expect.stringMatching(
        /^org:acme: resolve repository gone failed \(HTTP 404 "Not Found"\)\. Repository gone does not exist/
      )
    })
  })

  test('a failure reading an existing org secret names that step', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths.org}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${scopePaths.org}/secrets/A`)
      .reply(403, { message: 'Resource not accessible by integration' })
    await expect(harness().secrets.prepare(orgTarget, ['A'])).rejects.toMatchObject({
      step: 'read existing org secret A',
      status: 403,
      message: expect.stringContaining('permission-organization-secrets: write')
    })
  })

  test('422 validation failed', async () => {
    expect(await writeFailure(repoTarget, 422, 'Validation Failed')).toMatch(
      /validation failed\): check the secret name/
    )
  })

  test('GitHub messages are cut short and token-like text is removed', async () => {
    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(401, { message: `echo of ghp_${'a'.repeat(36)} and pscale_tkn_abc and ${'b'.repeat(300)}` })
    const error = (await harness()
      .secrets.prepare(repoTarget, [])
      .catch((e: unknown) => e)) as Error
    expect(error.message).toContain('"echo of [redacted] and [redacted] and [redacted]"')
    expect(error.message).not.toMatch(/ghp_|pscale_tkn_|bbbb/)

    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(401, { message: 'word\n'.repeat(100) })
    const long = (await harness()
      .secrets.prepare(repoTarget, [])
      .catch((e: unknown) => e)) as Error
    expect(long.message).toContain(`"${'word '.repeat(40).trim()}…"`)
    expect(long.message).not.toContain('\n')
  })

  // (Octokit reads the cause from another realm under jest, so the detail varies.)
  test('network failure: GitHub did not answer', async () => {
    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
    const error = await harness({ retries: 0 })
      .secrets.prepare(repoTarget, [])
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ status: undefined, step: 'read public key' })
    expect((error as Error).message).toMatch(
      /^repo:acme\/api: read public key failed: GitHub did not answer \(.+\)\. Check github-api-url/
    )
  })
})

test('the base URL may end with a slash', async () => {
  const pair = await keyPair()
  const api = nock(ORIGIN).get(`${scopePaths.repo}/secrets/public-key`).reply(200, pair.body)
  await harness({ baseUrl: `${ORIGIN}${PREFIX}/` }).secrets.prepare(repoTarget, [])
  expect(api.isDone()).toBe(true)
})

describe('a GitHub Enterprise Server without Dependabot', () => {
  const NOT_FOUND = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }

  async function failure(spec: TargetSpec): Promise<Error & Record<string, unknown>> {
    const error = (await harness()
      .secrets.prepare(spec, ['A'])
      .catch((e: unknown) => e)) as Error & Record<string, unknown>
    expect(error).toMatchObject({ name: 'GitHubTargetError', target: spec.label, step: 'read public key', status: 404 })
    return error
  }

  test('dependabot: 404 while the same repository’s Actions key is readable → Dependabot is not available', async () => {
    const pair = await keyPair()
    const api = github()
      .get(`${scopePaths.dependabot}/secrets/public-key`)
      .reply(404, NOT_FOUND)
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, pair.body)
      .get(`${PREFIX}/repos/acme/api`)
      .reply(200, { id: 1, name: 'api', private: false })
    const error = await failure(dependabotTarget)
    expect(api.isDone()).toBe(true)
    expect(error.message).toBe(
      'dependabot:acme/api: read public key failed (HTTP 404 "Not Found"). Dependabot secrets are not available for ' +
        'repository acme/api on this GitHub server: the github-token can see the repository, but its Dependabot ' +
        'secrets answer 404, as on a GitHub Enterprise Server without Dependabot. Remove the dependabot:acme/api line ' +
        "from `targets` (or ask the server's administrators to enable Dependabot)."
    )
  })

  test('dependabot: a private repository the token sees is proof enough (a token without Actions secrets)', async () => {
    github()
      .get(`${scopePaths.dependabot}/secrets/public-key`)
      .reply(404, NOT_FOUND)
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(403, { message: 'Resource not accessible by integration' })
      .get(`${PREFIX}/repos/acme/api`)
      .reply(200, { id: 1, name: 'api', private: true })
    expect((await failure(dependabotTarget)).message).toMatch(/Dependabot secrets are not available for repository/)
  })

  test('dependabot: nothing readable (a public repository proves nothing) → the usual advice, with the GHES hint', async () => {
    github()
      .get(`${scopePaths.dependabot}/secrets/public-key`)
      .reply(404, NOT_FOUND)
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(404, NOT_FOUND)
      .get(`${PREFIX}/repos/acme/api`)
      .reply(200, { id: 1, name: 'api', private: false })
    const { message } = await failure(dependabotTarget)
    expect(message).toMatch(/Repository acme\/api does not exist or the github-token cannot see it/)
    expect(message).toMatch(/On a GitHub Enterprise Server without Dependabot, GitHub answers 404 here too/)
    expect(message).not.toMatch(/are not available/)
  })

  test('dependabot-org: 404 while the organization’s Actions key is readable → not available', async () => {
    const pair = await keyPair()
    github()
      .get(`${scopePaths['dependabot-org']}/secrets/public-key`)
      .reply(404, NOT_FOUND)
      .get(`${scopePaths.org}/secrets/public-key`)
      .reply(200, pair.body)
    expect((await failure(dependabotOrgTarget)).message).toMatch(
      /^dependabot-org:acme: read public key failed \(HTTP 404 "Not Found"\)\. Dependabot secrets are not available for organization acme .*Remove the dependabot-org:acme line/
    )
  })

  test('a repository target’s 404 is not probed: it is about the repository', async () => {
    const api = github().get(`${scopePaths.repo}/secrets/public-key`).reply(404, NOT_FOUND)
    expect((await failure(repoTarget)).message).not.toMatch(/Dependabot/)
    expect(api.isDone()).toBe(true)
  })
})
