// The emulator's PlanetScale modes for shapes and refusals the real API may show: records without
// `service_token_accesses`, a grant endpoint closed to service tokens, refresh tokens on create,
// and secrets without a known prefix.
import { afterEach, describe, expect, test } from '@jest/globals'
import type { Emulator } from '../../emulator/index.js'
import { ps, startSeeded } from './helpers.js'

let emu: Emulator
afterEach(() => emu?.stop())

const TOKENS = '/organizations/acme/service-tokens'

describe('omitTokenAccesses', () => {
  test('get, list and create leave the field out; GET .../access still lists the accesses', async () => {
    let seed
    ;({ emu, seed } = await startSeeded({ planetscale: { omitTokenAccesses: true } }))
    const one = await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token)
    expect(one.status).toBe(200)
    expect(one.json).not.toHaveProperty('service_token_accesses')
    const list = await ps(emu, 'GET', TOKENS, seed.token)
    for (const item of list.json.data) expect(item).not.toHaveProperty('service_token_accesses')
    const created = await ps(emu, 'POST', TOKENS, seed.token, { name: 'n' })
    expect(created.json).not.toHaveProperty('service_token_accesses')

    const flat = await ps(emu, 'GET', `${TOKENS}/${seed.token.id}/access?per_page=100`, seed.token)
    expect(flat.status).toBe(200)
    expect(flat.json.data).toHaveLength(emu.planetscale.accessSet(seed.token.id).length)
    expect(flat.json.data).toContainEqual({
      id: expect.any(String),
      type: 'OrganizationAccess',
      access: 'read_service_tokens',
      resource: { id: expect.any(String), type: 'Organization', name: 'acme' }
    })
  })

  test('can be switched at run time', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    expect((await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token)).json).toHaveProperty(
      'service_token_accesses'
    )
    emu.planetscale.configure({ omitTokenAccesses: true })
    expect((await ps(emu, 'GET', `${TOKENS}/${seed.token.id}`, seed.token)).json).not.toHaveProperty(
      'service_token_accesses'
    )
  })
})

describe('grantRefusalStatus', () => {
  test.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found']
  ] as const)('%i: every grant is refused, nothing granted; other calls still work', async (status, code) => {
    let seed
    ;({ emu, seed } = await startSeeded({ planetscale: { grantRefusalStatus: status } }))
    const created = await ps(emu, 'POST', TOKENS, seed.token, { name: 'n' })
    expect(created.status).toBe(200)
    const grant = await ps(emu, 'POST', `${TOKENS}/${created.json.id}/access`, seed.token, {
      database: '',
      access: ['read_service_tokens']
    })
    expect({ status: grant.status, code: grant.json.code }).toEqual({ status, code })
    expect(emu.planetscale.accessSet(created.json.id)).toEqual([])
    expect((await ps(emu, 'GET', '/organizations', seed.token)).status).toBe(200)
    expect((await ps(emu, 'DELETE', `${TOKENS}/${created.json.id}`, seed.token)).status).toBe(204)
  })
})

describe('issueRefreshTokens and secretFormat', () => {
  test('a refresh token in the create answer alone, recorded among the secrets; hex secrets', async () => {
    let seed
    ;({ emu, seed } = await startSeeded({ planetscale: { issueRefreshTokens: true, secretFormat: 'hex' } }))
    const created = await ps(emu, 'POST', TOKENS, seed.token, { name: 'n' })
    const { token, plain_text_refresh_token: refresh } = created.json
    expect(token).toMatch(/^[0-9a-f]{40}$/)
    expect(refresh).toMatch(/^[0-9a-f]{40}$/)
    expect(refresh).not.toBe(token)
    expect(emu.planetscale.tokenSecrets()).toEqual(expect.arrayContaining([token, refresh]))
    const read = await ps(emu, 'GET', `${TOKENS}/${created.json.id}`, seed.token)
    expect(read.json.plain_text_refresh_token).toBeNull()
    expect(read.json.token).toBeNull()
    expect(emu.planetscale.authenticates({ id: created.json.id, token })).toBe(true)
  })

  test('by default: no refresh token, pscale_tkn_ secrets', async () => {
    let seed
    ;({ emu, seed } = await startSeeded())
    const created = await ps(emu, 'POST', TOKENS, seed.token, { name: 'n' })
    expect(created.json.plain_text_refresh_token).toBeNull()
    expect(created.json.token).toMatch(/^pscale_tkn_/)
  })
})
