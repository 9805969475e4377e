// Sealing, end to end: what the action PUTs opens with each scope's own secret key.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { GitHubTargetError } from '../../src/errors.js'
import { sealSecret } from '../../src/github/seal.js'
import { allTargets, github, harness, keyPair, open, scopePaths, STANDARD_BASE64, type KeyPair } from './helpers.js'

const VALUE = 'pscale_tkn_sealTestValue-é✓'

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe('each target kind seals with its own scope key', () => {
  test.each(allTargets.map((spec) => [spec.kind, spec] as const))('%s', async (_kind, spec) => {
    const pair = await keyPair()
    // Another scope's key, served nowhere: sealing with it would not open below.
    const other = await keyPair()
    const scopePath = scopePaths[spec.kind]
    let body: { encrypted_value: string; key_id: string } | undefined
    const isOrg = spec.kind === 'org' || spec.kind === 'dependabot-org'
    const api = github().get(`${scopePath}/secrets/public-key`).reply(200, pair.body)
    if (isOrg) api.get(`${scopePath}/secrets/MY_SECRET`).reply(404, { message: 'Not Found' })
    api.put(`${scopePath}/secrets/MY_SECRET`, (b: typeof body) => ((body = b), true)).reply(201, {})

    const { secrets } = harness()
    const target = await secrets.prepare(spec, ['MY_SECRET'])
    await expect(target.writeSecret('MY_SECRET', VALUE)).resolves.toBe('created')

    expect(api.isDone()).toBe(true)
    expect(body?.key_id).toBe(pair.keyId)
    expect(body?.encrypted_value).toMatch(STANDARD_BASE64)
    expect(open(body!.encrypted_value, pair)).toBe(VALUE)
    expect(() => open(body!.encrypted_value, other)).toThrow()
  })
})

describe('sealSecret', () => {
  let pair: KeyPair
  beforeAll(async () => {
    pair = await keyPair()
  })

  test('is padded standard base64 of plaintext + 48 bytes, for every padding length', async () => {
    for (const value of ['a', 'ab', 'abc', 'x'.repeat(100)]) {
      const sealed = await sealSecret(value, pair.body.key)
      expect(sealed).toMatch(STANDARD_BASE64)
      expect(Buffer.from(sealed, 'base64').length).toBe(Buffer.byteLength(value, 'utf8') + 48)
      expect(open(sealed, pair)).toBe(value)
    }
  })

  test('counts UTF-8 bytes, not characters', async () => {
    const sealed = await sealSecret('é✓', pair.body.key)
    expect(Buffer.from(sealed, 'base64').length).toBe(5 + 48)
  })

  test('rejects URL-safe or short keys instead of sealing with them', async () => {
    const urlSafe = pair.body.key.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const malformed = urlSafe === pair.body.key ? 'not base64!' : urlSafe
    await expect(sealSecret(VALUE, malformed)).rejects.toThrow(/not standard base64/)
    await expect(sealSecret(VALUE, Buffer.alloc(16).toString('base64'))).rejects.toThrow(/16 bytes, expected 32/)
  })

  test('a malformed key from GitHub fails prepare (the check step), naming the target', async () => {
    github()
      .get(`${scopePaths.repo}/secrets/public-key`)
      .reply(200, { key_id: '1', key: Buffer.alloc(31).toString('base64') })
    const { secrets } = harness()
    const error = await secrets.prepare(allTargets[0]!, ['A']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GitHubTargetError)
    expect((error as GitHubTargetError).message).toMatch(/^repo:acme\/api: read public key failed: .*31 bytes/)
  })
})
