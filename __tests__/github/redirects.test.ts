// The GitHub client on the wire: every request carries the pinned media type and API version,
// and a redirect, same origin or not, is an error naming where it pointed: never followed
// (it would carry the github-token), never retried, never taken for a success.
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals'
import nock from 'nock'
import { RedirectRefusedError } from '../../src/errors.js'
import { GITHUB_API_VERSION } from '../../src/github/octokit.js'
import { GITHUB_TOKEN, github, harness, keyPair, ORIGIN, PREFIX, repoTarget, scopePaths } from './helpers.js'

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'

test('every request sends Accept: application/vnd.github+json and X-GitHub-Api-Version: 2022-11-28', async () => {
  const pair = await keyPair()
  const api = github()
    .matchHeader('accept', 'application/vnd.github+json')
    .matchHeader('x-github-api-version', GITHUB_API_VERSION)
    .get(`${scopePaths.repo}/secrets/public-key`)
    .reply(200, pair.body)
    .put(`${scopePaths.repo}/secrets/${ID_NAME}`)
    .reply(201, {})
  const target = await harness().secrets.prepare(repoTarget, [ID_NAME])
  await target.writeSecret(ID_NAME, 'id-1')
  expect(GITHUB_API_VERSION).toBe('2022-11-28')
  expect(api.isDone()).toBe(true)
})

test('a 307 on a secret write (same origin, another repository) is an error naming it; nothing follows it', async () => {
  const pair = await keyPair()
  const elsewhere = `${PREFIX}/repos/someone/else/actions/secrets/${ID_NAME}`
  const api = github()
    .get(`${scopePaths.repo}/secrets/public-key`)
    .reply(200, pair.body)
    .put(`${scopePaths.repo}/secrets/${ID_NAME}`)
    .reply(307, '', { Location: `${ORIGIN}${elsewhere}` })
  const followed = nock(ORIGIN).put(elsewhere).reply(201, {})
  const h = harness({ retries: 3, retryBaseMs: 1 })
  const target = await h.secrets.prepare(repoTarget, [ID_NAME])
  const error = await target.writeSecret(ID_NAME, 'id-1').then(
    () => undefined,
    (e: unknown) => e as Error
  )
  expect(error).toBeDefined()
  expect(error?.message).toContain('repo:acme/api')
  expect(error?.message).toContain('HTTP 307')
  expect(error?.message).toContain(`${ORIGIN}${elsewhere}`)
  expect(error?.message).toContain('never follows a redirect')
  expect(error?.message).not.toContain(GITHUB_TOKEN)
  // Exactly the two requests: not retried, and the Location never requested.
  expect(api.isDone()).toBe(true)
  expect(followed.isDone()).toBe(false)
  expect(nock.pendingMocks()).toEqual([`PUT ${ORIGIN}:443${elsewhere}`])
})

test('a 301 on a read (another host) is refused the same way, as a RedirectRefusedError under the target error', async () => {
  const api = github()
    .get(`${scopePaths.repo}/secrets/public-key`)
    .reply(301, '', { Location: 'https://evil.example/steal' })
  const followed = nock('https://evil.example').get('/steal').reply(200, {})
  const h = harness({ retries: 3, retryBaseMs: 1 })
  const error = await h.secrets.prepare(repoTarget, [ID_NAME]).then(
    () => undefined,
    (e: unknown) => e as Error
  )
  expect(error?.message).toContain('HTTP 301')
  expect(error?.message).toContain('https://evil.example/steal')
  expect(error?.message).toContain('check github-api-url')
  expect(api.isDone()).toBe(true)
  expect(followed.isDone()).toBe(false)
})

test('the octokit itself throws RedirectRefusedError for a 302, without retrying', async () => {
  let calls = 0
  nock(ORIGIN)
    .get(`${PREFIX}/repos/acme/api`)
    .times(4)
    .reply(
      302,
      () => {
        calls++
        return ''
      },
      { Location: `${ORIGIN}${PREFIX}/repos/acme/api2` }
    )
  const { octokit } = harness({ retries: 3, retryBaseMs: 1 })
  const error = await octokit.rest.repos.get({ owner: 'acme', repo: 'api' }).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(RedirectRefusedError)
  expect((error as RedirectRefusedError).redirectStatus).toBe(302)
  expect(calls).toBe(1)
})
