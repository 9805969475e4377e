import { describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, RotationError } from '../../src/errors.js'
import { formatAge, formatTime } from '../../src/report/format.js'
import { jobSummaryWriter, SUMMARY_TITLES } from '../../src/report/job-summary.js'
import { runOutputs } from '../../src/report/outputs.js'
import { failureSummary, listSummary, managedBy, runSummary } from '../../src/report/summaries.js'
import { failureLines, type RunReport } from '../../src/rotation/7-report.js'

const NAMES = { idSecretName: 'PLANETSCALE_SERVICE_TOKEN_ID', tokenSecretName: 'PLANETSCALE_SERVICE_TOKEN' }
const LONG_DETAIL =
  'environment:acme/api/production: write secret PLANETSCALE_SERVICE_TOKEN failed (HTTP 502 "Bad Gateway"). ' +
  'GitHub had a server error and retries did not help; re-run later.'

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    command: 'rotate',
    dryRun: false,
    rotated: false,
    previousToken: { id: 'old000000001', name: 'old', expiresAt: null },
    newToken: { id: 'new000000001', name: 'new', expiresAt: '2027-02-20T06:00:00.000Z' },
    grants: [{ database: '', access: ['read_service_tokens'] }],
    ttlSeconds: 90 * 86_400,
    targets: [
      { label: 'repo:acme/api', outcome: 'written' },
      { label: 'environment:acme/api/production', outcome: 'restored', detail: LONG_DETAIL }
    ],
    previousTokenDeleted: false,
    newTokenDeleted: false,
    repaired: [],
    retired: [],
    nextRun: [],
    journal: 'none',
    problems: ['Kept the previous token old000000001 and the new token new000000001: fix the failing targets.'],
    ...overrides
  }
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1
}

describe('run summary', () => {
  test('a failed target: its detail once, without its label repeated, and the run problem under what to do', () => {
    const summary = runSummary(report(), NAMES)
    expect(summary).toMatch(/^## PlanetScale service token rotation\n/)
    expect(summary).toContain('**Failed**')
    expect(occurrences(summary, 'GitHub had a server error')).toBe(1)
    expect(summary).toContain('| environment:acme/api/production | ⚠️ failed, old pair restored | write secret')
    expect(occurrences(summary, 'environment:acme/api/production')).toBe(1)
    expect(summary).toContain('### What to do\n\n- Kept the previous token')
  })

  test('times to the second, and no table with an empty header', () => {
    const summary = runSummary(
      report({ problems: [], targets: [{ label: 'repo:acme/api', outcome: 'written' }] }),
      NAMES
    )
    expect(summary).toContain('2027-02-20T06:00:00Z')
    expect(summary).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}/)
    expect(summary).not.toMatch(/^\|\s*\|\s*\|$/m)
    expect(summary).toContain('**Rotated**: every target holds the new pair.')
  })

  test('the step error names each failed target once, then the run problems', () => {
    const lines = failureLines(report())
    expect(lines).toEqual([
      `environment:acme/api/production: restored — ${LONG_DETAIL.replace('environment:acme/api/production: ', '')}`,
      'Kept the previous token old000000001 and the new token new000000001: fix the failing targets.'
    ])
    expect(failureLines(report({ problems: [], targets: [{ label: 'repo:acme/api', outcome: 'written' }] }))).toEqual(
      []
    )
  })

  test('targets left out by a cancellation are named once writing began, never for a skip', () => {
    const cancelled = report({
      targets: [
        { label: 'repo:acme/api', outcome: 'written' },
        { label: 'org:acme', outcome: 'skipped' }
      ]
    })
    expect(failureLines(cancelled)[0]).toBe('org:acme: skipped')
    const minAge = report({
      skipped: 'young',
      problems: [],
      targets: [{ label: 'org:acme', outcome: 'skipped' }]
    })
    expect(failureLines(minAge)).toEqual([])
  })

  test('outputs: rotate has its own, create does not', () => {
    expect(runOutputs(report())).toEqual({
      'token-id': 'new000000001',
      'previous-token-id': 'old000000001',
      rotated: 'false',
      'previous-token-deleted': 'false',
      'previous-token-retires-at': '',
      repaired: 'false',
      'expires-at': '2027-02-20T06:00:00.000Z',
      'targets-written': '1'
    })
    expect(Object.keys(runOutputs(report({ command: 'create' }))).sort()).toEqual([
      'expires-at',
      'targets-written',
      'token-id'
    ])
  })
})

describe('run summary: the journal', () => {
  const graced = report({
    rotated: true,
    problems: [],
    targets: [{ label: 'repo:acme/api', outcome: 'written' }],
    previousTokenRetiresAt: '2026-01-11T01:00:00.000Z',
    repaired: ['Took over the unfinished rotation of run 99/1 (writing).'],
    retired: ['old000000001 stays valid until 2026-01-11T01:00:00.000Z; the first run after that deletes it.'],
    nextRun: ['Delete old000000001 once 2026-01-11T01:00:00.000Z has passed.'],
    journal: 'repo:acme/api variable PLANETSCALE_SERVICE_TOKEN_ID_ROTATION'
  })

  test('a grace period: when the previous token retires, what was repaired and retired, what the next run does', () => {
    const summary = runSummary(graced, NAMES)
    expect(summary).toContain('**Rotated**: every target holds the new pair.')
    expect(summary).toContain('- **Previous token deleted**: no')
    expect(summary).toContain('- **Previous token retires**: 2026-01-11T01:00:00Z (a later run deletes it)')
    expect(summary).toContain('- **Journal**: `repo:acme/api variable PLANETSCALE_SERVICE_TOKEN_ID_ROTATION`')
    expect(summary).toContain('### Repaired\n\n- Took over the unfinished rotation of run 99/1 (writing).\n')
    expect(summary).toContain('### Retired\n\n- old000000001 stays valid until')
    expect(summary).toContain('### The next run\n\n- Delete old000000001 once')
    expect(summary).not.toContain('### What to do')
  })

  test('without a journal or anything to repair, those sections are left out', () => {
    const summary = runSummary(report(), NAMES)
    expect(summary).toContain('- **Journal**: none')
    expect(summary).not.toMatch(/### (Repaired|Retired|The next run)/)
    expect(summary).not.toContain('Previous token retires')
  })

  test('outputs: previous-token-retires-at and repaired', () => {
    expect(runOutputs(graced)).toMatchObject({
      rotated: 'true',
      'previous-token-deleted': 'false',
      'previous-token-retires-at': '2026-01-11T01:00:00.000Z',
      repaired: 'true'
    })
  })

  test("an 'uncertain' target: its row says it may hold either pair, and the step error names it", () => {
    const uncertain = report({
      targets: [
        { label: 'repo:acme/api', outcome: 'written' },
        { label: 'org:acme', outcome: 'uncertain', detail: 'org:acme: write secret failed (HTTP 502)' }
      ]
    })
    const summary = runSummary(uncertain, NAMES)
    expect(summary).toContain('| org:acme | ⚠️ uncertain: may hold either pair (next run rewrites it) | write secret')
    expect(failureLines(uncertain)[0]).toBe('org:acme: uncertain — write secret failed (HTTP 502)')
  })
})

describe('failure summary', () => {
  test('has the same title as the success summary of its command', () => {
    for (const command of ['rotate', 'create'] as const) {
      const success = runSummary(report({ command }), NAMES).split('\n')[0]
      expect(failureSummary(command, new RotationError('x'), 'x').split('\n')[0]).toBe(success)
    }
    expect(failureSummary('list', new Error('x'), 'x')).toMatch(`## ${SUMMARY_TITLES.list}\n`)
  })

  test('bad input says nothing was requested, and claims nothing about pairs', () => {
    const summary = failureSummary('rotate', new InputError('ttl', 'bad'), 'Input "ttl": bad')
    expect(summary).toContain('an input is invalid; nothing was requested or changed')
    expect(summary).not.toMatch(/pair/)
    expect(failureSummary(undefined, new InputError('command', 'bad'), 'm')).toMatch(
      /^## PlanetScale service token action/
    )
  })
})

describe('list summary', () => {
  test('ages, expiries to the second, and the rotation warning past 90 days', () => {
    const now = new Date('2026-12-01T00:00:00Z')
    const summary = listSummary(
      'acme',
      [
        { id: 'aaa', name: 'fresh', created_at: '2026-11-30T00:00:00.000Z', expires_at: null },
        { id: 'bbb', name: 'stale', created_at: '2026-08-01T00:00:00.000Z', expires_at: '2027-01-01T00:00:00.000Z' }
      ],
      now
    )
    expect(summary).toContain('| `aaa` | fresh | 1d | never | never |  |')
    expect(summary).toContain('| `bbb` | stale | 122d | 2027-01-01T00:00:00Z | never | ⚠️ older than 90 days: rotate |')
  })
})

describe('formatting and the summary file', () => {
  test('formatTime and formatAge', () => {
    expect(formatTime(new Date('2026-11-22T06:00:00.123Z'))).toBe('2026-11-22T06:00:00Z')
    expect(formatTime('not a time')).toBe('not a time')
    expect([formatAge(59), formatAge(60), formatAge(7200), formatAge(90 * 86_400)]).toEqual(['59s', '1m', '2h', '90d'])
  })

  test('the writer appends to the file the given environment names, and does nothing without one', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md')
    const append = jobSummaryWriter({ GITHUB_STEP_SUMMARY: path })
    await append('## one')
    await append('two\n')
    expect(readFileSync(path, 'utf8')).toBe('## one\ntwo\n')
    await expect(jobSummaryWriter({})('ignored')).resolves.toBeUndefined()
  })
})

describe('list marks the tokens this action manages', () => {
  test.each([
    ['github-actions/acme/api/run-777-2 r-0a1b2c3d4e', 'job token (deleted when its job ends)'],
    ['github-actions/acme/api/2026-12-02T05:00:00Z r-0a1b2c3d4e', 'made by this action (rotation)'],
    ['github-actions/acme/api/2026-12-02T05:00:00Z', ''],
    ['deploy r-xyz', ''],
    [null, '']
  ])('%j → %j', (name, note) => {
    expect(managedBy(name)).toBe(note)
  })

  test('the note appears in the summary table', () => {
    const token = {
      id: 'job000000001',
      name: 'github-actions/acme/api/run-777-2 r-0a1b2c3d4e',
      created_at: '2026-12-02T05:00:00Z',
      expires_at: null
    }
    expect(listSummary('acme', [token], new Date('2026-12-02T06:00:00Z'))).toContain(
      'job token (deleted when its job ends)'
    )
  })
})
