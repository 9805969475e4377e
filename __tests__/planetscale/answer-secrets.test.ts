// Secrets in PlanetScale's answers: a new token's `token` and any `plain_text_refresh_token`
// ("available only after create") are masked the moment an answer arrives, whatever the answer,
// and kept nowhere: no returned object carries a refresh token, and only createToken a `token`.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { api, expectNoSecretLogged, failure, harness, NEW_SECRET, ORG, token } from './helpers.js'

const TOKENS = `/v1/organizations/${ORG}/service-tokens`
const ID = '8x1k2abcd0ef'
/** No known prefix: only masking and redaction by value can hide it. */
const REFRESH = '5e0c2f9a7b3d1e4f6a8c0b2d4e6f8a0c1b3d5e7f'

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

describe('plain_text_refresh_token', () => {
  test('in the create answer: masked with the token, before createToken resolves, and kept nowhere', async () => {
    api('json')
      .post(TOKENS)
      .reply(200, token('newtoken0001', { token: NEW_SECRET, plain_text_refresh_token: REFRESH }))
    const h = harness()
    const created = await h.client.createToken({ name: 'n1' })
    expect(h.masked).toEqual([NEW_SECRET, REFRESH])
    expect(created.token).toBe(NEW_SECRET)
    expect(created).not.toHaveProperty('plain_text_refresh_token')
    expect(JSON.stringify(created)).not.toContain(REFRESH)
  })

  test('in a get or a list answer (where it should never be): masked, and kept nowhere', async () => {
    api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, token(ID, { plain_text_refresh_token: REFRESH }))
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: [token(ID, { plain_text_refresh_token: REFRESH, token: NEW_SECRET })] })
    const h = harness()
    const record = await h.client.getToken(ID)
    const listed = await h.client.listTokens()
    // Each value once: masking it again would only repeat the `::add-mask::` line.
    expect(h.masked).toEqual([REFRESH, NEW_SECRET])
    expect(JSON.stringify([record, listed])).not.toContain(REFRESH)
    expect(JSON.stringify([record, listed])).not.toContain(NEW_SECRET)
  })

  test('null (what PlanetScale sends outside create) masks nothing', async () => {
    api()
      .get(`${TOKENS}/${ID}`)
      .reply(200, token(ID, { plain_text_refresh_token: null }))
    const h = harness()
    await h.client.getToken(ID)
    expect(h.masked).toEqual([])
  })
})

describe('secrets in error answers', () => {
  test('are masked before the error is built, and the error carries neither', async () => {
    api()
      .get(`${TOKENS}/${ID}`)
      .reply(403, { code: 'forbidden', message: 'No', token: NEW_SECRET, data: { plain_text_refresh_token: REFRESH } })
    const h = harness()
    const error = await failure(h.client.getToken(ID))
    expect(h.masked).toEqual([NEW_SECRET, REFRESH])
    expect(error.message).not.toContain(REFRESH)
  })

  test('a create refused with a secret in the answer still masks it', async () => {
    api('json').post(TOKENS).reply(422, { code: 'unprocessable', plain_text_refresh_token: REFRESH })
    const h = harness()
    await failure(h.client.createToken({ name: 'n1', ttlSeconds: 1 }))
    expect(h.masked).toEqual([REFRESH])
  })
})
