// `command: audit` through the bundle against the emulator: an organization with a token of every
// kind, the findings each rule makes, fail-on, delete-unused (dry run, ignore, what it never
// deletes), and bad input refused before any request.
import { describe, expect, test } from '@jest/globals'
import { ORG, annotations, failure, findLeaks, runAction, scenarios, writes, type Scenario } from './harness.js'

const DAY = 86_400_000
const HOUR = 3_600_000
const start = scenarios({ ttlSeconds: 90 * 86_400 })

const ago = (ms: number): Date => new Date(Date.now() - ms)
const iso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z')

/** One token of every kind the audit tells apart, by the finding it should make. */
function seedOrganization(s: Scenario) {
  const read = [{ database: 'app-db', access: ['read_branch'] }]
  const add = (name: string, o: { created: number; used?: number; ttlDays?: number; ttlHours?: number }) =>
    s.emu.planetscale.addToken(ORG, {
      name,
      createdAt: ago(o.created),
      ...(o.used === undefined ? {} : { lastUsedAt: ago(o.used) }),
      ...(o.ttlDays === undefined && o.ttlHours === undefined
        ? {}
        : { ttlSeconds: ((o.ttlDays ?? 0) * 24 + (o.ttlHours ?? 0)) * 3600 }),
      accesses: read
    }).id
  const rotationOldCreated = ago(41 * DAY)
  const rotationNewCreated = ago(35 * DAY)
  return {
    fresh: add('deploy-fresh', { created: DAY, used: HOUR, ttlDays: 90 }),
    stale: add('ci-stale', { created: 120 * DAY, used: 2 * HOUR, ttlDays: 365 }),
    unusedOld: add('ci-unused', { created: 60 * DAY, used: 45 * DAY, ttlDays: 365 }),
    neverUsedOld: add('ci-never-used', { created: 40 * DAY, ttlDays: 365 }),
    neverUsedYoung: add('ci-new', { created: 36 * HOUR, ttlDays: 90 }),
    noExpiry: add('ci-no-expiry', { created: 10 * DAY, used: HOUR }),
    expiring: add('ci-expiring', { created: 85 * DAY, used: HOUR, ttlDays: 90 }),
    admin: s.emu.planetscale.addToken(ORG, {
      name: 'ci-admin',
      createdAt: ago(5 * DAY),
      lastUsedAt: ago(HOUR),
      ttlSeconds: 90 * 86_400,
      accesses: [{ organization: true, access: ['read_service_tokens', 'write_service_tokens'] }]
    }).id,
    rotationOld: add(`github-actions/acme/web/${iso(rotationOldCreated)} r-aaaaaaaaaa`, {
      created: 41 * DAY,
      used: 35 * DAY,
      ttlDays: 90
    }),
    rotationCurrent: add(`github-actions/acme/web/${iso(rotationNewCreated)} r-bbbbbbbbbb`, {
      created: 35 * DAY,
      ttlDays: 90
    }),
    jobLeftover: add('github-actions/acme/api/run-100-1 r-cccccccccc', {
      created: 3 * HOUR,
      used: 2.5 * HOUR,
      ttlHours: 1
    }),
    jobYoung: add('github-actions/acme/api/run-101-1 r-dddddddddd', { created: 3 * DAY, ttlDays: 7 }),
    ignored: add('legacy-ignored', { created: 100 * DAY, used: 50 * DAY })
  }
}

function auditInputs(s: Scenario, extra: Record<string, string> = {}): Record<string, string> {
  // No GitHub input at all: the audit needs only PlanetScale.
  return {
    organization: ORG,
    command: 'audit',
    'service-token-id': s.token.id,
    'service-token': s.token.token,
    'planetscale-api-url': s.emu.planetscaleUrl,
    ignore: 'legacy-*',
    ...extra
  }
}

type Findings = { id: string; name: string; rule: string; detail: string }[]

const findingsOf = (outputs: Record<string, string>): Findings => JSON.parse(outputs.findings ?? 'null') as Findings
const deletes = (s: Scenario) => s.emu.log.filter((e) => e.api === 'planetscale' && e.method === 'DELETE')

describe('audit', () => {
  test('reports every kind of token under its rule, worst first, reading each token once; changes nothing', async () => {
    const s = await start()
    const t = seedOrganization(s)
    const run = await runAction(auditInputs(s), { env: s.env })
    expect({ code: run.code, failure: failure(run) }).toEqual({ code: 0, failure: '' })
    const findings = findingsOf(run.outputs)
    expect(findings.map((f) => [f.rule, f.id])).toEqual([
      ['token-admin', t.admin],
      ['unused', t.unusedOld],
      ['unused', t.rotationOld],
      ['unused', t.neverUsedOld],
      ['unused', t.rotationCurrent],
      ['unused', t.jobYoung],
      ['unused', t.neverUsedYoung],
      ['job-token-leftover', t.jobLeftover],
      ['stale', t.stale],
      ['no-expiry', t.noExpiry],
      ['expiring', t.expiring]
    ])
    for (const f of findings) expect(Object.keys(f).sort()).toEqual(['detail', 'id', 'name', 'rule'])
    expect(run.outputs['findings-count']).toBe('11')
    expect(run.outputs.deleted).toBe('[]')
    // Report only: one warning on the run's page, not a failure.
    expect(annotations(run, 'warning')).toEqual([
      '11 finding(s) on 14 token(s): token-admin 1, unused 6, job-token-leftover 1, stale 1, no-expiry 1, expiring 1.'
    ])
    const detail = (id: string) => findings.find((f) => f.id === id)?.detail ?? ''
    expect(detail(t.admin)).toMatch(/holds write_service_tokens at organization level/)
    expect(detail(t.neverUsedOld)).toMatch(/never used, created 40d ago/)
    expect(detail(t.jobLeftover)).toMatch(/post step never deleted it/)
    expect(detail(t.expiring)).toMatch(/\(in [45]d\)/)

    // One list page and one read per token (14, the audit's own included); nothing else.
    const tokens = s.emu.planetscale.tokens(ORG).length + 1 // the expired job token is listed too
    expect(s.emu.log.map((e) => `${e.method} ${e.path.replace(/[a-z0-9]{12}$/, 'ID')}`).sort()).toEqual(
      [
        'GET /organizations/acme/service-tokens',
        ...Array.from({ length: tokens }, () => 'GET /organizations/acme/service-tokens/ID')
      ].sort()
    )
    expect(writes(s.emu)).toEqual([])

    // The summary: one section per rule, worst first; the ignored token counted, not listed.
    const sections = [...run.summary.matchAll(/^### `([a-z-]+)`: (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`)
    expect(sections).toEqual([
      'token-admin 1',
      'unused 6',
      'job-token-leftover 1',
      'stale 1',
      'no-expiry 1',
      'expiring 1'
    ])
    expect(run.summary).toContain('1 token(s) in `ignore`, 3 finding(s) left out')
    expect(run.summary).not.toContain(t.ignored)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('fail-on fails the step; delete-unused with dry-run names what it would delete and deletes nothing', async () => {
    const s = await start()
    const t = seedOrganization(s)
    const run = await runAction(
      auditInputs(s, { 'fail-on': 'unused, no-expiry', 'delete-unused': 'true', 'dry-run': 'true' }),
      { env: s.env }
    )
    expect(run.code).toBe(1)
    expect(failure(run)).toContain('7 finding(s) fail the step (fail-on: unused, no-expiry): unused 6, no-expiry 1')
    // The outputs are there for a later step that notifies someone.
    expect(run.outputs['findings-count']).toBe('11')
    expect(run.outputs.deleted).toBe('[]')
    expect(writes(s.emu)).toEqual([])
    const wouldDelete = run.summary
      .split('\n')
      .filter((line) => line.includes('would be deleted'))
      .map((line) => /`([a-z0-9]{12})`/.exec(line)?.[1])
    expect(wouldDelete).toEqual([t.unusedOld, t.neverUsedOld])
    expect(run.summary).toContain('### `unused`: 6 (fails the step)')
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('delete-unused deletes only what nothing protects: no rotation token, a job token within its ttl, a token idle less than unused-for, nor an ignored one', async () => {
    const s = await start()
    const t = seedOrganization(s)
    const run = await runAction(auditInputs(s, { 'delete-unused': 'true', 'unused-for': '2d', 'fail-on': 'unused' }), {
      env: s.env
    })
    const deleted = [t.unusedOld, t.neverUsedOld]
    // The findings of the tokens it deleted no longer fail the step; those of the tokens it kept do.
    const unused = (JSON.parse(run.outputs.findings ?? '[]') as { id: string; rule: string }[]).filter(
      (f) => f.rule === 'unused'
    )
    const left = unused.filter((f) => !deleted.includes(f.id)).length
    expect(left).toBeGreaterThan(0)
    expect(unused.length).toBe(left + deleted.length)
    expect({ code: run.code, failure: failure(run) }).toEqual({
      code: 1,
      failure: expect.stringContaining(`${left} finding(s) fail the step (fail-on: unused): unused ${left}`)
    })
    expect(JSON.parse(run.outputs.deleted ?? 'null')).toEqual(deleted)
    expect(deletes(s).map((e) => e.path.split('/').at(-1))).toEqual(deleted)
    for (const [name, id] of Object.entries({ ...t, self: s.token.id })) {
      expect({ name, deleted: s.emu.planetscale.token(id)?.deletedAt !== null }).toEqual({
        name,
        deleted: deleted.includes(id)
      })
    }
    expect(run.summary).toContain('Unused, but kept:')
    const keptTable = run.summary.split('Unused, but kept:')[1] ?? ''
    const kept = (id: string) => keptTable.split('\n').find((line) => line.includes(id)) ?? ''
    expect(kept(t.rotationCurrent)).toMatch(/newest token of its rotation line/)
    // Replaced by a newer token of its line, idle past unused-for, and still not the audit's to delete.
    expect(kept(t.rotationOld)).toMatch(/made by this action's rotation, which retires its own tokens/)
    expect(kept(t.jobYoung)).toMatch(/job token within its ttl/)
    expect(kept(t.neverUsedYoung)).toMatch(/within unused-for \(2d\)/)
    expect(kept(t.ignored)).toMatch(/listed in `ignore`/)
    expect(annotations(run, 'warning').filter((w) => /delete/i.test(w))).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test.each([
    [
      'an unknown rule in fail-on',
      { 'fail-on': 'unused,stale-ish' },
      /Input "fail-on": unknown rule "stale-ish": use any of token-admin, unused, job-token-leftover, stale, no-expiry, expiring/
    ],
    ['a max-age that is no duration', { 'max-age': '90 days' }, /Input "max-age": "90 days" is not a duration/],
    ['an unused-for under a day', { 'unused-for': '12h' }, /Input "unused-for": "12h" is less than a day/],
    ['delete-unused that is no boolean', { 'delete-unused': 'yes' }, /Input "delete-unused"/],
    [
      'fail-on without command: audit',
      { command: 'list', ignore: '', 'fail-on': 'unused' },
      /Input "fail-on": is only used by command "audit"/
    ]
  ])('bad input (%s): refused before any request', async (_name, extra, message) => {
    const s = await start()
    const run = await runAction(auditInputs(s, extra), { env: s.env })
    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(message)
    expect(s.emu.log).toEqual([])
  })
})
