// The journal's pure functions (src/rotation/0-journal.ts): what a run may read from a variable
// anyone with write access can edit, how it decides whether an open rotation is its own to take
// over, and that nothing secret ever reaches it.
import { describe, expect, test } from '@jest/globals'
import { RotationError } from '../../src/errors.js'
import {
  Journal,
  JOURNAL_VERSION,
  dueRetirements,
  emptyJournal,
  hasMarker,
  nameWithMarker,
  namedTokens,
  newMarker,
  openRotationStatus,
  parseJournal,
  serializeJournal,
  unfinished,
  type JournalState,
  type OpenRotation
} from '../../src/rotation/0-journal.js'
import { rotate } from '../../src/rotation/protocol.js'
import { FakeJournalStore, NOW, TOKEN_NAME, deps, leaks, rotateConfig, scenario, targets } from './fakes.js'

const LABEL = 'repo:acme/api variable PLANETSCALE_SERVICE_TOKEN_ID_ROTATION'
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000)
const iso = (minutes: number) => at(minutes).toISOString()

function open(overrides: Partial<OpenRotation> = {}): OpenRotation {
  return {
    marker: 'r-0123456789',
    run: '100/1',
    startedAt: iso(0),
    leaseUntil: iso(20),
    phase: 'writing',
    from: 'oldid000001',
    to: 'newid0000001',
    targets: { 'repo:acme/api': 'written', 'org:acme': 'uncertain' },
    graceSeconds: 3600,
    ...overrides
  }
}

function full(): JournalState {
  return {
    version: JOURNAL_VERSION,
    line: 'firstid00001',
    current: 'oldid000001',
    open: open({ writtenAt: iso(5) }),
    stale: ['staleid00001'],
    markers: ['r-abcdefabcd'],
    retiring: [{ id: 'retiringid01', after: iso(60) }],
    updated: { run: '100/1', at: iso(5) }
  }
}

/** parseJournal's refusal of `raw`: a RotationError. */
function refusal(raw: string): string {
  let error: unknown
  try {
    parseJournal(raw, LABEL)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(RotationError)
  return (error as Error).message
}

const withField = (field: string, value: unknown) => JSON.stringify({ ...full(), [field]: value })
const withOpen = (field: string, value: unknown) => JSON.stringify({ ...full(), open: { ...open(), [field]: value } })

describe('parseJournal', () => {
  test('no variable yet, or an empty one: an empty journal', () => {
    expect(parseJournal(undefined, LABEL)).toEqual(emptyJournal())
    expect(parseJournal('  \n', LABEL)).toEqual(emptyJournal())
    expect(emptyJournal()).toEqual({ version: JOURNAL_VERSION, stale: [], markers: [], retiring: [] })
  })

  test('a round trip keeps every field', () => {
    const state = full()
    expect(parseJournal(serializeJournal(state), LABEL)).toEqual(state)
    const minimal = emptyJournal()
    expect(parseJournal(serializeJournal(minimal), LABEL)).toEqual(minimal)
    const noGrace = { ...minimal, open: open({ graceSeconds: null, phase: 'creating', to: undefined }) }
    delete noGrace.open.to
    expect(parseJournal(serializeJournal(noGrace), LABEL)).toEqual(noGrace)
  })

  test.each([
    ['not JSON', '{"version": 1', /it is not JSON/],
    ['not an object', '[1]', /it is not a JSON object/],
    ['a string', '"journal"', /it is not a JSON object/],
    ['an unknown version', JSON.stringify({ ...full(), version: 2 }), /version 2, expected 1/],
    ['no version', JSON.stringify({ stale: [] }), /version undefined, expected 1/],
    ['a bad ID in stale', withField('stale', ['oldid000001', 'Not An ID']), /"stale" is not a list of token IDs/],
    ['stale not a list', withField('stale', 'oldid000001'), /"stale" is not a list of token IDs/],
    ['a bad current ID', withField('current', 'old id; rm -rf'), /"current" is not a token ID/],
    ['a numeric line', withField('line', 12), /"line" is not a token ID/],
    ['a bad marker', withField('markers', ['r-XYZ']), /"markers" is not a list of markers/],
    ['retiring not a list', withField('retiring', {}), /"retiring" is not a list/],
    ['a retiring entry without ID', withField('retiring', [{ after: iso(1) }]), /"retiring" entry has no id/],
    ['a retiring entry with a bad ID', withField('retiring', [{ id: '../x', after: iso(1) }]), /"id" is not/],
    [
      'a retiring entry with a bad time',
      withField('retiring', [{ id: 'abc', after: 'soon' }]),
      /"after" is not a time/
    ],
    ['open not an object', withField('open', 'yes'), /"open" is not an object/],
    ['an unknown phase', withOpen('phase', 'deleting'), /"open.phase" is unknown/],
    ['a bad open marker', withOpen('marker', 'newid0000001'), /"open.marker" is not a marker/],
    ['a bad open run', withOpen('run', 7), /"open.run" is not a run/],
    ['a bad from', withOpen('from', 'OLD'), /"from" is not a token ID/],
    ['a bad to', withOpen('to', ''), /"to" is not a token ID/],
    ['a bad lease', withOpen('leaseUntil', 'later'), /"leaseUntil" is not a time/],
    ['an unknown target state', withOpen('targets', { 'repo:acme/api': 'done' }), /unknown target state/],
    ['a negative grace', withOpen('graceSeconds', -1), /"open.graceSeconds" is invalid/],
    ['a textual grace', withOpen('graceSeconds', '1h'), /"open.graceSeconds" is invalid/]
  ])('refuses %s, naming the variable and saying nothing was changed', (_what, raw, why) => {
    const message = refusal(raw)
    expect(message).toMatch(why)
    expect(message).toContain(`The journal ${LABEL} cannot be read`)
    expect(message).toContain('Nothing was changed.')
  })

  test('the refusal does not echo what it could not read', () => {
    const message = refusal(withField('stale', ['pscale_tkn_0123456789abcdef0123456789abcdef']))
    expect(message).not.toContain('pscale_tkn_')
  })
})

describe('openRotationStatus', () => {
  const runAt = (lease: number) => ({ ...emptyJournal(), open: open({ leaseUntil: iso(lease) }) })

  test('no open rotation: none', () => {
    expect(openRotationStatus(emptyJournal(), '200/1', at(0))).toBe('none')
  })

  test('another attempt of the same workflow run takes over at once, whatever the lease', () => {
    expect(openRotationStatus(runAt(20), '100/2', at(1))).toBe('take-over')
    expect(openRotationStatus(runAt(20), '100/1', at(1))).toBe('take-over')
  })

  test('another run takes over once the lease has passed (or was released: set to its end)', () => {
    expect(openRotationStatus(runAt(20), '200/1', at(20))).toBe('take-over')
    expect(openRotationStatus(runAt(20), '200/1', at(21))).toBe('take-over')
  })

  test('another run while the lease holds: busy, with the open rotation', () => {
    const state = runAt(20)
    expect(openRotationStatus(state, '200/1', at(19))).toEqual({ busy: state.open })
    // A run number that merely starts like the other's is another run.
    expect(openRotationStatus(state, '1000/1', at(19))).toEqual({ busy: state.open })
  })
})

describe('what a journal names', () => {
  test('dueRetirements: those whose time has come, the boundary included', () => {
    const state = {
      ...emptyJournal(),
      retiring: [
        { id: 'aaa', after: iso(-1) },
        { id: 'bbb', after: iso(0) },
        { id: 'ccc', after: iso(1) }
      ]
    }
    expect(dueRetirements(state, at(0)).map((r) => r.id)).toEqual(['aaa', 'bbb'])
    expect(dueRetirements(state, at(-2))).toEqual([])
    expect(dueRetirements(emptyJournal(), at(0))).toEqual([])
  })

  test('namedTokens: every token a target may hold, once each', () => {
    const state = full()
    state.stale.push('oldid000001')
    expect(namedTokens(state).sort()).toEqual(['newid0000001', 'oldid000001', 'retiringid01', 'staleid00001'].sort())
    expect(namedTokens(emptyJournal())).toEqual([])
  })

  test('unfinished: an open rotation, or tokens of one that some target may still hold', () => {
    expect(unfinished(emptyJournal())).toBe(false)
    expect(unfinished({ ...emptyJournal(), retiring: [{ id: 'aaa', after: iso(0) }] })).toBe(false)
    expect(unfinished({ ...emptyJournal(), stale: ['aaa'] })).toBe(true)
    expect(unfinished({ ...emptyJournal(), open: open() })).toBe(true)
  })

  test('markers: fresh, readable by the parser, and found in a name as a whole word only', () => {
    const marker = newMarker()
    expect(marker).toMatch(/^r-[0-9a-f]{10}$/)
    expect(newMarker()).not.toBe(marker)
    expect(parseJournal(serializeJournal({ ...emptyJournal(), markers: [marker] }), LABEL).markers).toEqual([marker])
    const name = nameWithMarker('github-actions/acme/api/2026-01-11', marker)
    expect(name).toBe(`github-actions/acme/api/2026-01-11 ${marker}`)
    expect(hasMarker(name, marker)).toBe(true)
    expect(hasMarker(`${marker} rest`, marker)).toBe(true)
    expect(hasMarker(`${name}0`, marker)).toBe(false)
    expect(hasMarker(name, 'r-0000000000')).toBe(false)
    expect(hasMarker(`github-actions/${marker}`, marker)).toBe(false)
    expect(hasMarker(null, marker)).toBe(false)
    expect(hasMarker(undefined, marker)).toBe(false)
  })
})

describe('Journal', () => {
  test('save writes the whole state with who wrote it and when, and counts the writes', async () => {
    const store = new FakeJournalStore()
    const journal = await Journal.read(store, '100/1', () => at(3))
    expect(journal.enabled).toBe(true)
    expect(journal.label).toBe(store.label)
    journal.state.current = 'oldid000001'
    await journal.save()
    await journal.save()
    expect(journal.writes).toBe(2)
    expect(store.writes).toBe(2)
    expect(store.state).toEqual({ ...emptyJournal(), current: 'oldid000001', updated: { run: '100/1', at: iso(3) } })
  })

  test('a failed write is a RotationError naming the variable, and is not counted', async () => {
    const store = new FakeJournalStore()
    store.failWrites = { count: 1 }
    const journal = await Journal.read(store, '100/1', () => at(0))
    await expect(journal.save()).rejects.toThrow(
      new RotationError(
        `Writing the journal ${store.label} failed: ` + 'repo:acme/api: write the journal failed (HTTP 500)'
      )
    )
    expect(journal.writes).toBe(0)
  })

  test('stillOurs: false once another run has written its own rotation', async () => {
    const store = new FakeJournalStore()
    const journal = await Journal.read(store, '100/1', () => at(0))
    journal.state.open = open({ marker: 'r-aaaaaaaaaa' })
    await journal.save()
    expect(await journal.stillOurs('r-aaaaaaaaaa')).toBe(true)
    store.put({ ...emptyJournal(), open: open({ marker: 'r-bbbbbbbbbb', run: '200/1' }) })
    expect(await journal.stillOurs('r-aaaaaaaaaa')).toBe(false)
    store.put(emptyJournal())
    expect(await journal.stillOurs('r-aaaaaaaaaa')).toBe(false)
  })

  test('journal: none reads as empty, writes nothing and is always "ours"', async () => {
    const journal = await Journal.read(undefined, '100/1', () => at(0))
    expect(journal.enabled).toBe(false)
    expect(journal.label).toBe('none')
    expect(journal.state).toEqual(emptyJournal())
    await journal.save()
    expect(journal.writes).toBe(0)
    expect(await journal.stillOurs('r-aaaaaaaaaa')).toBe(true)
  })
})

describe('no token value in the journal', () => {
  test('every value a partial run and its repair wrote holds IDs, names and times only', async () => {
    const labels = ['repo:acme/api', 'environment:acme/api/production', 'org:acme']
    const s = scenario({ targets: labels })
    const store = new FakeJournalStore()
    const withJournal = deps(s, s.action, { journal: store })
    // Run 1: one target refuses the token write (open rotation, targets recorded); run 2 repairs
    // it with a grace period (tokens waiting to be retired).
    s.secrets.failWrite('org:acme', TOKEN_NAME, { status: 403 })
    const first = await rotate(withJournal, { ...s.config, runId: '100/1' })
    expect(first.problems).not.toEqual([])
    expect(store.state.open?.targets).toEqual({
      'repo:acme/api': 'written',
      'environment:acme/api/production': 'written',
      'org:acme': 'restored'
    })
    const held = s.secrets.pair('repo:acme/api') as { id: string; token: string }
    const second = await rotate(deps(s, held, { journal: store }), {
      ...rotateConfig(held, { targets: targets(...labels) }),
      runId: '101/1',
      deletePrevious: { kind: 'after', seconds: 3600 }
    })
    expect(second).toMatchObject({ rotated: true, problems: [] })
    expect(store.state.retiring.map((r) => r.id).sort()).toEqual([s.old.id, held.id].sort())
    expect(s.ps.secrets()).toHaveLength(3)
    expect(store.history.length).toBeGreaterThanOrEqual(6)
    expect(leaks(s, store.history)).toEqual([])
    // The created tokens' values did reach the targets: the scan looks for the right strings.
    const sent = leaks(
      s,
      s.secrets.writes.map((w) => w.value)
    )
    expect(sent.sort()).toEqual(
      s.ps
        .created()
        .map((t) => t.secret)
        .sort()
    )
  })
})
