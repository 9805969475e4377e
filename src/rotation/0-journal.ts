// Step 0, the journal: a write-ahead record of the rotation, kept in a GitHub Actions variable,
// that makes the action's runs one process with a memory. A run writes its intent before it
// creates a token, the new token's ID before any target is written, each target's result, and
// which tokens may go and when. The next run reads it first: it re-pairs a half-written pair,
// rotates again after an interrupted rotation, and retires what no target holds any more.
// It holds IDs, names, times and target labels, never a token value.
import { randomBytes } from 'node:crypto'
import { RotationError, errorMessage } from '../errors.js'

/** Where the journal lives: a variable, read and written whole. */
export interface JournalStore {
  /** e.g. `repo:acme/api variable PLANETSCALE_SERVICE_TOKEN_ID_ROTATION`, for messages. */
  readonly label: string
  /** The variable's value; undefined when it does not exist yet. */
  read(): Promise<string | undefined>
  write(value: string): Promise<void>
}

export const JOURNAL_VERSION = 1
/** Journal writes a run makes besides one per ten targets: intent, the new token's ID, the end. */
export const JOURNAL_WRITES_BASE = 3
/** Target results the journal records in one write. */
export const TARGETS_PER_JOURNAL_WRITE = 10

/** What the journal knows of a target of the rotation in progress. */
export type JournalTarget = 'pending' | 'written' | 'unchanged' | 'restored' | 'uncertain' | 'broken' | 'skipped'

/** A rotation that began and has not been closed. */
export interface OpenRotation {
  /** Goes into the new token's name, so that a token whose ID was never recorded can be found. */
  marker: string
  /** `GITHUB_RUN_ID/GITHUB_RUN_ATTEMPT` of the run that began it. */
  run: string
  startedAt: string
  /**
   * Until then, another run finding this rotation open takes it for a run still in progress.
   * A run releases it (sets it to its end) whenever it ends on its own.
   */
  leaseUntil: string
  /** The token being replaced (absent for `create`). */
  from?: string
  /** The new token, recorded before any target is written. */
  to?: string
  /** creating: `to` may exist but is not recorded; writing: targets may hold `to`; written: all do. */
  phase: 'creating' | 'writing' | 'written'
  targets: Record<string, JournalTarget>
  /** When every target held `to` (phase written). */
  writtenAt?: string
  /** `delete-previous` of the run: seconds of grace, 0 = at once, null = never. */
  graceSeconds: number | null
}

export interface RetiringToken {
  id: string
  /** ISO time after which a run deletes it. */
  after: string
  /** When every target stopped holding it: a use after that is some job still holding the old pair. */
  replacedAt?: string
}

export interface JournalState {
  version: typeof JOURNAL_VERSION
  /** The first token of the line: a management workflow's `token-id` may keep naming it. */
  line?: string
  /** The token every target holds when no rotation is open. */
  current?: string
  /** The targets of the line's last rotation: a journal shared by two lines is refused, not mixed up. */
  targets?: string[]
  open?: OpenRotation
  /** Tokens of earlier unfinished rotations that some target may still hold. */
  stale: string[]
  /** Markers of earlier unfinished rotations: tokens named with them were made by those runs. */
  markers: string[]
  retiring: RetiringToken[]
  updated?: { run: string; at: string }
}

export function emptyJournal(): JournalState {
  return { version: JOURNAL_VERSION, stale: [], markers: [], retiring: [] }
}

/** A fresh marker: `r-` and 10 hex digits. */
export function newMarker(): string {
  return `r-${randomBytes(5).toString('hex')}`
}

/** The new token's name carries the marker, so a token whose ID was never recorded can be found by name. */
export function nameWithMarker(name: string, marker: string): string {
  return `${name} ${marker}`
}

export function hasMarker(name: string | null | undefined, marker: string): boolean {
  return name !== null && name !== undefined && name.split(/\s+/).includes(marker)
}

const ID = /^[a-z0-9]{1,64}$/
const TARGET_STATES: readonly JournalTarget[] = [
  'pending',
  'written',
  'unchanged',
  'restored',
  'uncertain',
  'broken',
  'skipped'
]

/** Parses a journal, refusing anything it cannot fully understand (a wrong guess could delete a token in use). */
export function parseJournal(raw: string | undefined, label: string): JournalState {
  if (raw === undefined || raw.trim() === '') return emptyJournal()
  const refuse = (why: string): never => {
    throw new RotationError(
      `The journal ${label} cannot be read (${why}). Nothing was changed. ` +
        'It is written by this action only: if it was edited by hand, put back a copy if you have one, or ' +
        'delete the variable (the next run then starts a new journal; tokens it listed must be deleted by hand).'
    )
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return refuse('it is not JSON')
  }
  if (!isRecord(value)) return refuse('it is not a JSON object')
  if (value.version !== JOURNAL_VERSION) return refuse(`version ${String(value.version)}, expected ${JOURNAL_VERSION}`)
  const ids = (field: string): string[] => {
    const list = value[field] ?? []
    if (!Array.isArray(list) || !list.every((id) => typeof id === 'string' && ID.test(id)))
      return refuse(`"${field}" is not a list of token IDs`)
    return list as string[]
  }
  const optionalId = (record: Record<string, unknown>, field: string): string | undefined => {
    const id = record[field]
    if (id === undefined) return undefined
    if (typeof id !== 'string' || !ID.test(id)) return refuse(`"${field}" is not a token ID`)
    return id
  }
  const time = (record: Record<string, unknown>, field: string): string => {
    const at = record[field]
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return refuse(`"${field}" is not a time`)
    return at
  }
  const markers = value.markers ?? []
  if (!Array.isArray(markers) || !markers.every((m) => typeof m === 'string' && /^r-[0-9a-f]{4,32}$/.test(m)))
    return refuse('"markers" is not a list of markers')
  const retiringRaw = value.retiring ?? []
  if (!Array.isArray(retiringRaw)) return refuse('"retiring" is not a list')
  const retiring = retiringRaw.map((entry: unknown) => {
    if (!isRecord(entry)) return refuse('a "retiring" entry is not an object')
    const retiring: RetiringToken = {
      id: optionalId(entry, 'id') ?? refuse('a "retiring" entry has no id'),
      after: time(entry, 'after')
    }
    if (entry.replacedAt !== undefined) retiring.replacedAt = time(entry, 'replacedAt')
    return retiring
  })
  const state: JournalState = {
    version: JOURNAL_VERSION,
    stale: ids('stale'),
    markers: markers as string[],
    retiring
  }
  if (value.targets !== undefined) {
    if (!Array.isArray(value.targets) || !value.targets.every((t) => typeof t === 'string'))
      return refuse('"targets" is not a list of target labels')
    state.targets = value.targets as string[]
  }
  const line = optionalId(value, 'line')
  const current = optionalId(value, 'current')
  if (line) state.line = line
  if (current) state.current = current
  if (value.open !== undefined) {
    const open = value.open
    if (!isRecord(open)) return refuse('"open" is not an object')
    const phase = open.phase
    if (phase !== 'creating' && phase !== 'writing' && phase !== 'written') return refuse('"open.phase" is unknown')
    if (typeof open.marker !== 'string' || !/^r-[0-9a-f]{4,32}$/.test(open.marker))
      return refuse('"open.marker" is not a marker')
    if (typeof open.run !== 'string') return refuse('"open.run" is not a run')
    const targets = open.targets ?? {}
    if (!isRecord(targets) || !Object.values(targets).every((t) => TARGET_STATES.includes(t as JournalTarget)))
      return refuse('"open.targets" holds an unknown target state')
    const grace = open.graceSeconds
    if (grace !== null && (typeof grace !== 'number' || !(grace >= 0))) return refuse('"open.graceSeconds" is invalid')
    state.open = {
      marker: open.marker,
      run: open.run,
      startedAt: time(open, 'startedAt'),
      leaseUntil: time(open, 'leaseUntil'),
      phase,
      targets: targets as Record<string, JournalTarget>,
      graceSeconds: grace
    }
    const from = optionalId(open, 'from')
    const to = optionalId(open, 'to')
    if (from) state.open.from = from
    if (to) state.open.to = to
    if (open.writtenAt !== undefined) state.open.writtenAt = time(open, 'writtenAt')
  }
  if (isRecord(value.updated) && typeof value.updated.run === 'string' && typeof value.updated.at === 'string')
    state.updated = { run: value.updated.run, at: value.updated.at }
  return state
}

export function serializeJournal(state: JournalState): string {
  return JSON.stringify(state)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every token the journal names that a target may hold: the IDs worth trying when a pair is refused. */
export function namedTokens(state: JournalState): string[] {
  const ids = [state.current, state.open?.to, state.open?.from, ...state.stale, ...state.retiring.map((r) => r.id)]
  return [...new Set(ids.filter((id): id is string => id !== undefined))]
}

/** The run part of `RUN_ID/ATTEMPT`: attempts of one workflow run never overlap. */
function runOf(run: string): string {
  return run.split('/')[0] ?? run
}

/**
 * How this run stands to an open rotation: `none`, one to take over (its run ended: a re-run of the
 * same workflow run, a released or an expired lease), or `busy` (another run may still be at it).
 * Jobs of one workflow run (a matrix) share its run ID: an open rotation of other targets is a
 * sibling job's, not an earlier attempt's, so only its lease can end it.
 */
export function openRotationStatus(
  state: JournalState,
  runId: string,
  now: Date,
  targets?: readonly string[]
): 'none' | 'take-over' | { busy: OpenRotation } {
  const open = state.open
  if (!open) return 'none'
  if (Date.parse(open.leaseUntil) <= now.getTime()) return 'take-over'
  const sameTargets = targets === undefined || sameSet(Object.keys(open.targets), targets)
  if (runOf(open.run) === runOf(runId) && sameTargets) return 'take-over'
  return { busy: open }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((x) => x.toLowerCase()))
  const right = new Set(b.map((x) => x.toLowerCase()))
  return left.size === right.size && [...left].every((x) => right.has(x))
}

/** Whether an earlier run left work: an open rotation, or tokens some target may still hold. */
export function unfinished(state: JournalState): boolean {
  return state.open !== undefined || state.stale.length > 0
}

/** Retirements whose time has come. */
export function dueRetirements(state: JournalState, now: Date): RetiringToken[] {
  return state.retiring.filter((r) => Date.parse(r.after) <= now.getTime())
}

/**
 * The journal of one run: the state as last read or written, and the store. Writes go out whole;
 * the number of writes is counted (the budget is 3 + ⌈targets/10⌉ a run).
 */
export class Journal {
  writes = 0

  constructor(
    private readonly store: JournalStore | undefined,
    public state: JournalState,
    private readonly runId: string,
    private readonly now: () => Date,
    /** The value as this run last read or wrote it. */
    private last: string | undefined = undefined
  ) {}

  get enabled(): boolean {
    return this.store !== undefined
  }

  get label(): string {
    return this.store?.label ?? 'none'
  }

  static async read(store: JournalStore | undefined, runId: string, now: () => Date): Promise<Journal> {
    const raw = store ? await store.read() : undefined
    return new Journal(store, parseJournal(raw, store?.label ?? 'none'), runId, now, raw)
  }

  /** Writes the state; a failure is a RotationError that says what the next run will find. */
  async save(): Promise<void> {
    if (!this.store) return
    this.state.updated = { run: this.runId, at: this.now().toISOString() }
    const value = serializeJournal(this.state)
    try {
      await this.store.write(value)
      this.last = value
      this.writes++
    } catch (error) {
      throw new RotationError(`Writing the journal ${this.store.label} failed: ${errorMessage(error)}`)
    }
  }

  /**
   * Re-reads the store: false when another run wrote it since this run read or wrote it (the journal
   * is written whole, so writing over that would lose the other run's record).
   */
  async unchanged(): Promise<boolean> {
    if (!this.store) return true
    return (await this.store.read()) === this.last
  }

  /** Re-reads the store: false when another run has written its own rotation since this run's last write. */
  async stillOurs(marker: string): Promise<boolean> {
    if (!this.store) return true
    const latest = parseJournal(await this.store.read(), this.store.label)
    return latest.open?.marker === marker
  }
}
