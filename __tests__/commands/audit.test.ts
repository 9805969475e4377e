// `audit` on the wire (nock): the list's pages, one read per token, PlanetScale's pace, the
// deletes and their failures, through the real client and the command's injected dependencies.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import nock from 'nock'
import { AUDIT_PACE, auditCommand } from '../../src/commands/audit.js'
import type { CommandDeps, CommandIO } from '../../src/commands/index.js'
import { api, CREDENTIALS, expectNoSecretLogged, harness, ORG, organizations, token } from '../planetscale/helpers.js'
import { parse } from '../inputs/helpers.js'
import { deps as protocolDeps, fakes, virtualClock } from '../rotation/fakes.js'

const TOKENS = `/v1/organizations/${ORG}/service-tokens`
const NOW = '2027-01-01T00:00:00.000Z'
const RECENT = '2026-12-31T00:00:00.000Z'
/** 37 days before NOW: more than the default unused-for (30d). */
const LONG_AGO = '2026-11-25T00:00:00.000Z'
const LEAKY = {
  token: 'pscale_tkn_LISTED_SECRET_SHOULD_NEVER_BE_0003',
  plain_text_refresh_token: 'REFRESH_SECRET_0004'
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  expectNoSecretLogged()
})
afterAll(() => nock.enableNetConnect())

const id = (n: number): string => `tok${String(n).padStart(9, '0')}`
const organizationAccess = (access: string) => ({ access, resource_type: 'Organization', resource_name: ORG })

interface Run {
  outputs: Record<string, string>
  summary: string
  failure: string | undefined
  /** Virtual ms the run waited for PlanetScale's pace. */
  elapsedMs: number
}

async function audit(inputs: Record<string, string> = {}): Promise<Run> {
  const config = parse({
    command: 'audit',
    'service-token-id': CREDENTIALS.id,
    'service-token': CREDENTIALS.token,
    'planetscale-api-url': 'https://api.planetscale.test/v1',
    ...inputs
  })
  const clock = virtualClock(NOW)
  const outputs: Record<string, string> = {}
  let summary = ''
  const io: CommandIO = {
    setOutput: (name, value) => (outputs[name] = value),
    setSecretOutput: () => {
      throw new Error('audit outputs no secret')
    },
    exportVariable: () => {
      throw new Error('audit exports nothing')
    },
    saveState: () => undefined,
    appendSummary: async (markdown) => {
      summary += markdown
    }
  }
  const deps: CommandDeps = {
    ...protocolDeps(fakes(), CREDENTIALS, { planetscale: harness().client, now: clock.now, sleep: clock.sleep }),
    io
  }
  const result = await auditCommand(config, deps)
  return { outputs, summary, failure: result.failure, elapsedMs: clock.now().getTime() - Date.parse(NOW) }
}

describe('audit on the wire', () => {
  test('150 tokens: two pages of 100, each token read once, at most 8 at a time, 100 ms apart; no secret copied', async () => {
    const count = 150
    // Token 3's records do not list its accesses: the client reads them from the flat list.
    const WITHOUT_ACCESSES = 3
    const accessesOf = (n: number) => (n === 120 ? [organizationAccess('write_service_tokens')] : [])
    const listed = Array.from({ length: count }, (_, n) => {
      const { service_token_accesses: _none, ...record } = token(id(n), {
        last_used_at: n % 50 === 7 ? LONG_AGO : RECENT,
        ...(n === 0 ? LEAKY : {})
      })
      return n === WITHOUT_ACCESSES ? record : { ...record, service_token_accesses: accessesOf(n) }
    })
    const pages = api()
      .get(TOKENS)
      .query({ page: '1', per_page: '100' })
      .reply(200, { current_page: 1, next_page: 2, data: listed.slice(0, 100) })
      .get(TOKENS)
      .query({ page: '2', per_page: '100' })
      .reply(200, { current_page: 2, next_page: null, data: listed.slice(100) })
    let inFlight = 0
    let peak = 0
    const read = new Map<string, number>()
    const reads = api()
      .get(/\/service-tokens\/tok\d{9}$/)
      .times(count)
      .reply(async (uri) => {
        const tokenId = uri.split('/').at(-1)!
        read.set(tokenId, (read.get(tokenId) ?? 0) + 1)
        peak = Math.max(peak, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight--
        return [200, { ...listed[Number(tokenId.slice(3))] }]
      })
    const flat = api()
      .get(`${TOKENS}/${id(WITHOUT_ACCESSES)}/access`)
      .query(true)
      .reply(200, {
        next_page: null,
        data: [
          {
            id: 'acc1',
            type: 'OrganizationAccess',
            access: 'delete_service_tokens',
            resource: { type: 'Organization', name: ORG }
          }
        ]
      })

    const run = await audit()
    expect(run.failure).toBeUndefined()
    expect(pages.isDone()).toBe(true)
    expect(reads.isDone()).toBe(true)
    expect(flat.isDone()).toBe(true)
    expect(read.size).toBe(count)
    expect([...read.values()].every((times) => times === 1)).toBe(true)
    expect(peak).toBeLessThanOrEqual(AUDIT_PACE.concurrency)
    expect(peak).toBeGreaterThan(1)
    // Every request takes a turn 100 ms after the previous one: the 2 pages, the 150 reads, and
    // the flat access list of token 3. The first turn is free: 152 spacings of waiting at least.
    expect(run.elapsedMs).toBeGreaterThanOrEqual((2 + count + 1 - 1) * AUDIT_PACE.spacingMs)

    const findings = JSON.parse(run.outputs.findings!) as { id: string; rule: string }[]
    expect(findings.map((f) => `${f.rule} ${f.id}`)).toEqual([
      `token-admin ${id(WITHOUT_ACCESSES)}`,
      `token-admin ${id(120)}`,
      ...[7, 57, 107].map((n) => `unused ${id(n)}`)
    ])
    expect(run.outputs['findings-count']).toBe('5')
    for (const text of [JSON.stringify(run.outputs), run.summary]) {
      expect(text).not.toContain(LEAKY.token)
      expect(text).not.toContain(LEAKY.plain_text_refresh_token)
    }
  })

  test('delete-unused: a failed delete stops none of the others; the step fails naming each token and status', async () => {
    const unused = [id(1), id(2), id(3)]
    const unreadable = id(4)
    const listed = [
      token(CREDENTIALS.id, { last_used_at: RECENT }),
      ...unused.map((t) => token(t, { last_used_at: LONG_AGO })),
      token(unreadable, { last_used_at: LONG_AGO })
    ]
    const self = [organizationAccess('read_service_tokens'), organizationAccess('delete_service_tokens')]
    api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: listed })
      .get(`${TOKENS}/${CREDENTIALS.id}`)
      .reply(200, { ...listed[0], service_token_accesses: self })
    for (const t of listed.slice(1, 4))
      api()
        .get(`${TOKENS}/${t.id as string}`)
        .reply(200, { ...t, service_token_accesses: [] })
    // Retried, then given up on: the token cannot be checked, so it is neither reported nor deleted.
    api().get(`${TOKENS}/${unreadable}`).times(5).reply(500, { code: 'internal' })
    const deletes = api()
      .delete(`${TOKENS}/${unused[0]}`)
      .reply(403, { code: 'forbidden', message: 'Forbidden' })
      .delete(`${TOKENS}/${unused[1]}`)
      .reply(204)
      // Gone already: a 404, once the credentials are proven and the token cannot be read.
      .delete(`${TOKENS}/${unused[2]}`)
      .reply(404, { code: 'not_found' })
      .get('/v1/organizations')
      .reply(200, organizations)
      .get(`${TOKENS}/${unused[2]}`)
      .reply(404, { code: 'not_found' })

    const run = await audit({ 'delete-unused': 'true' })
    expect(deletes.isDone()).toBe(true)
    expect(JSON.parse(run.outputs.deleted!)).toEqual([unused[1], unused[2]])
    expect(run.failure).toContain(`could not be read: ${unreadable} (HTTP 500)`)
    expect(run.failure).toContain(`1 of 3 token(s) could not be deleted: ${unused[0]} (HTTP 403)`)
    expect(run.summary).toMatch(new RegExp(`\`${unused[0]}\`.*❌ not deleted.*delete_service_tokens`))
    expect(run.summary).toContain('### Not checked')
  })

  test('delete-unused when the audit token lacks delete_service_tokens: nothing is sent, the step says which access', async () => {
    const listed = [token(CREDENTIALS.id, { last_used_at: RECENT }), token(id(1), { last_used_at: LONG_AGO })]
    api()
      .get(TOKENS)
      .query(true)
      .reply(200, { next_page: null, data: listed })
      .get(`${TOKENS}/${CREDENTIALS.id}`)
      .reply(200, { ...listed[0], service_token_accesses: [organizationAccess('read_service_tokens')] })
      .get(`${TOKENS}/${id(1)}`)
      .reply(200, { ...listed[1], service_token_accesses: [] })
    // nock refuses any request not set up above: a DELETE would fail the run differently.
    const run = await audit({ 'delete-unused': 'true' })
    expect(run.failure).toMatch(/lacks delete_service_tokens at organization level, so none of the 1 unused token/)
    expect(JSON.parse(run.outputs.deleted!)).toEqual([])
    expect(nock.pendingMocks()).toEqual([])
  })
})
