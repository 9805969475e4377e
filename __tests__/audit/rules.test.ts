// The audit's rules and its deletion plan, pure: tokens and a time in, findings and a plan out.
import { describe, expect, test } from '@jest/globals'
import {
  deletionPlan,
  evaluate,
  ignoreMatcher,
  management,
  rotationLine,
  type AuditContext,
  type AuditedToken
} from '../../src/audit/rules.js'
import type { ServiceToken, TokenAccess } from '../../src/planetscale/types.js'

const NOW = new Date('2027-01-01T00:00:00.000Z')
const DAY = 86_400_000
const SELF = 'self00000001'
const context: AuditContext = { now: NOW, selfId: SELF, maxAgeSeconds: 90 * 86_400, unusedForSeconds: 30 * 86_400 }
const daysAgo = (days: number): string => new Date(NOW.getTime() - days * DAY).toISOString()
const inDays = (days: number): string => new Date(NOW.getTime() + days * DAY).toISOString()

function audited(
  id: string,
  fields: Partial<ServiceToken> = {},
  accesses: TokenAccess[] | undefined = []
): AuditedToken {
  return {
    token: { id, name: id, created_at: daysAgo(10), expires_at: inDays(80), last_used_at: daysAgo(0.1), ...fields },
    accesses
  }
}

const rules = (tokens: AuditedToken[], ctx = context) => evaluate(tokens, ctx).map((f) => `${f.rule} ${f.id}`)
const admin = (access: string): TokenAccess => ({ access, resource_type: 'Organization', resource_name: 'acme' })

describe('rules', () => {
  test('a token that follows the advice has no finding', () => {
    expect(rules([audited('fine')])).toEqual([])
  })

  test('the boundaries: exactly max-age or unused-for is not yet a finding; a never-used token gets a day', () => {
    expect(
      rules([audited('edge', { created_at: daysAgo(90), last_used_at: daysAgo(30), expires_at: inDays(8) })])
    ).toEqual([])
    expect(rules([audited('new', { created_at: daysAgo(0.9), last_used_at: null })])).toEqual([])
    expect(rules([audited('day', { created_at: daysAgo(1.1), last_used_at: null })])).toEqual(['unused day'])
  })

  test('token-admin: write or delete_service_tokens at organization level, unless a rotator or the audit itself', () => {
    const tokens = [
      audited('writer', {}, [admin('write_service_tokens')]),
      audited('reader', {}, [admin('read_service_tokens')]),
      audited('on-db', {}, [{ access: 'delete_service_tokens', resource_type: 'Database', resource_name: 'db' }]),
      audited('rotator r-0123456789', { name: 'github-actions/acme/api/x r-0123456789' }, [
        admin('delete_service_tokens')
      ]),
      audited(SELF, {}, [admin('write_service_tokens')]),
      // Accesses not known: not concluded to be none, and not a finding either.
      audited('unknown', {}, undefined)
    ]
    expect(rules(tokens)).toEqual(['token-admin writer'])
  })

  test('an expired token is no credential: neither stale nor token-admin, reported as expired', () => {
    const expired = audited('gone', { created_at: daysAgo(200), expires_at: daysAgo(2) }, [
      admin('write_service_tokens')
    ])
    const [finding] = evaluate([expired], context)
    expect(evaluate([expired], context)).toHaveLength(1)
    expect(finding).toMatchObject({
      rule: 'expiring',
      detail: expect.stringMatching(/^expired .* \(2d ago\): delete it$/)
    })
  })

  test('stale says whether the rotation is not keeping up, or left a replaced token valid', () => {
    const line = (date: string, marker: string) => `github-actions/acme/api/${date} ${marker}`
    const old = audited('old', { name: line('2026-09-01T00:00:00Z', 'r-aaaaaaaaaa'), created_at: daysAgo(120) })
    const newest = audited('newest', { name: line('2026-09-10T00:00:00Z', 'r-bbbbbbbbbb'), created_at: daysAgo(110) })
    const findings = evaluate([old, newest], context)
    expect(findings.map((f) => [f.id, f.rule])).toEqual([
      ['old', 'stale'],
      ['newest', 'stale']
    ])
    expect(findings[0]!.detail).toMatch(/replaced it with newest but it is still valid/)
    expect(findings[1]!.detail).toMatch(/the rotation is not keeping up/)
  })

  test('expiring only when nobody manages the token; job tokens are left-overs once their job is surely over', () => {
    const tokens = [
      audited('soon', { expires_at: inDays(6) }),
      audited('rotated', { name: 'github-actions/acme/api/2026 r-0123456789', expires_at: inDays(3) }),
      audited('job-live', { name: 'github-actions/acme/api/run-9-1 r-1111111111', expires_at: inDays(0.01) }),
      audited('job-over', { name: 'github-actions/acme/api/run-8-1 r-2222222222', expires_at: daysAgo(0.01) }),
      audited('job-no-expiry', {
        name: 'github-actions/acme/api/run-7-1 r-3333333333',
        created_at: daysAgo(8),
        expires_at: null
      })
    ]
    expect(rules(tokens)).toEqual([
      // Oldest first within a rule: job-over was created 10 days ago, job-no-expiry 8.
      'job-token-leftover job-over',
      'job-token-leftover job-no-expiry',
      'no-expiry job-no-expiry',
      'expiring soon'
    ])
  })
})

describe('rotation lines', () => {
  test('a line is the name without its marker and its date; the newest is current, ties all are', () => {
    expect(rotationLine('github-actions/acme/api/2026-11-22T06:00:00Z r-0123456789')).toBe(
      'github-actions/acme/api/{date}'
    )
    const token = (id: string, name: string, created: number): ServiceToken => ({
      id,
      name,
      created_at: daysAgo(created),
      expires_at: null
    })
    const managed = management([
      token('a1', 'github-actions/acme/api/2026-01-01T00:00:00Z r-aaaaaaaaaa', 20),
      token('a2', 'github-actions/acme/api/2026-01-11T00:00:00Z r-bbbbbbbbbb', 10),
      token('b1', 'deploy/web r-cccccccccc', 5),
      token('b2', 'deploy/web r-dddddddddd', 5),
      token('j', 'github-actions/acme/api/run-1-1 r-eeeeeeeeee', 1),
      token('n', 'hand-made', 1)
    ])
    expect(Object.fromEntries([...managed].map(([id, m]) => [id, m.kind === 'rotation' ? m.current : m.kind]))).toEqual(
      { a1: false, a2: true, b1: true, b2: true, j: 'job-token', n: 'none' }
    )
  })
})

describe('deletionPlan', () => {
  test('deletes the unused; never the audit token, an ignored one, a rotation’s token, a live job token, or one idle less than unused-for', () => {
    const never = { last_used_at: null, created_at: daysAgo(100) }
    const tokens = [
      audited(SELF, never),
      audited('ignored', never),
      audited('line-old', { ...never, name: 'ci/web r-aaaaaaaaaa', created_at: daysAgo(101) }),
      audited('line-new', { ...never, name: 'ci/web r-bbbbbbbbbb' }),
      audited('job', {
        last_used_at: null,
        created_at: daysAgo(2),
        name: 'x/run-1-1 r-cccccccccc',
        expires_at: inDays(5)
      }),
      audited('young', { last_used_at: null, created_at: daysAgo(3) }),
      audited('idle', { last_used_at: daysAgo(31) }),
      audited('used', { last_used_at: daysAgo(29) })
    ]
    const findings = evaluate(tokens, context)
    const plan = deletionPlan(tokens, findings, { ...context, ignored: ignoreMatcher(['ignored']) })
    // line-old is older than its line's newest, yet kept: an interrupted rotation leaves a newer
    // token no target holds, so only the rotation's journal knows which one the targets use.
    expect(plan.delete.map((t) => t.id)).toEqual(['idle'])
    expect(Object.fromEntries(plan.keep.map((k) => [k.token.id, k.why]))).toEqual({
      [SELF]: 'the token this audit authenticates with',
      ignored: 'listed in `ignore`',
      'line-old': "made by this action's rotation, which retires its own tokens: its targets may still hold it",
      'line-new': "the newest token of its rotation line: the rotation's targets hold it",
      job: 'a job token within its ttl: its job may still be running',
      young: 'created 3d ago, within unused-for (30d)'
    })
  })
})

describe('ignoreMatcher', () => {
  test('a token ID, or a whole-name pattern where only * is special', () => {
    const ignored = ignoreMatcher(['abc123def456', 'legacy-*', 'a.b', '*-ci-*'])
    const t = (id: string, name: string | null): ServiceToken => ({
      id,
      name,
      created_at: NOW.toISOString(),
      expires_at: null
    })
    expect(ignored(t('abc123def456', 'anything'))).toBe(true)
    expect(ignored(t('x', 'legacy-ci'))).toBe(true)
    expect(ignored(t('x', 'my-legacy-ci'))).toBe(false)
    expect(ignored(t('x', 'a.b'))).toBe(true)
    expect(ignored(t('x', 'axb'))).toBe(false)
    expect(ignored(t('x', 'acme-ci-deploy'))).toBe(true)
    expect(ignored(t('x', null))).toBe(false)
    // A token without a name is shown by its display name: the pattern matches that too.
    expect(ignored({ ...t('x', null), display_name: 'legacy-web' })).toBe(true)
  })
})
