// Rows of the fault matrix, generated from the request log of a clean rotation: every request
// the `rotate` command sends that changes something or that a change depends on, the journal's
// included. A row names a call by method, a path template and `nth` (the how-many-th call on that
// template), so when the protocol changes, the matrix follows.
import type { FaultRule, LogEntry, RouteMatcher } from '../../emulator/index.js'
import { ID_NAME, TOKEN_NAME, invariantViolations, runAction, startScenario, type Scenario } from './harness.js'

/** Where in the protocol the call is; decides what a persistent fault on it should leave behind. */
export type Step =
  | 'check'
  /** Reading the journal (step 0). */
  | 'journal-read'
  /** Recording the intent, and reading it back (before any token exists). */
  | 'journal-intent'
  | 'create'
  /** Recording the new token's ID. */
  | 'journal-record'
  | 'grant'
  | 'test'
  /** The last read of the journal before a target is written. */
  | 'journal-recheck'
  | 'write-id'
  | 'write-token'
  /** Writing the token secret again after a write whose outcome is unknown. */
  | 'rewrite'
  /** Writing the old ID back after the token write was refused. */
  | 'restore'
  /** The read of the journal once every target holds the new pair, before anything is retired. */
  | 'journal-confirm'
  /** Recording that every target holds the new pair. */
  | 'journal-written'
  /** Reading the old token's record before it is deleted (for its last use). */
  | 'finish-read'
  | 'finish'
  /** The journal's last write: the rotation closed. */
  | 'journal-close'
  | 'compensate'

export interface Row {
  /** Unique, human-readable: the jest case name starts with it. */
  label: string
  step: Step
  /** The target the call writes to or reads from (GitHub rows). */
  target?: string
  /** The call that gets the column's fault. */
  call: CallTemplate
  /** Faults that lead the run onto this row's path (rows that only exist after another failure). */
  triggers: CallFault[]
  /** What the failure message must name for this row. */
  mention: RegExp
  /** How the message puts a 404 on this call, when not as "404" (it has a meaning of its own here). */
  notFound?: RegExp
  /** How the message puts a refusal of this call, when not as its status (see JOURNAL_WRITE_FALLBACK). */
  refused?: Partial<Record<number, RegExp>>
}

/** A call in a scenario-independent form: `{old}` and `{new}` stand for the two tokens' IDs. */
export interface CallTemplate {
  api: 'planetscale' | 'github'
  method: string
  /** e.g. `/organizations/acme/service-tokens/{new}/access`. */
  template: string
  nth: number
}

export interface CallFault {
  call: CallTemplate
  times: number
  response: FaultRule['response']
  phase?: 'before' | 'after'
}

const ID_RE = '[a-z0-9]+'

/** The emulator matcher for a template in a scenario whose token to replace is `oldId`. */
export function matcherFor(call: Pick<CallTemplate, 'api' | 'method' | 'template'>, oldId: string): RouteMatcher {
  const withOld = call.template.replaceAll('{old}', oldId)
  if (!withOld.includes('{new}')) return { api: call.api, method: call.method, path: withOld }
  const source = withOld
    .split('{new}')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(`(?!${oldId}(?:/|$))${ID_RE}`)
  return { api: call.api, method: call.method, path: new RegExp(`^${source}$`) }
}

export function matches(entry: LogEntry, matcher: RouteMatcher): boolean {
  if (matcher.api !== undefined && matcher.api !== entry.api) return false
  if (matcher.method !== undefined && matcher.method !== entry.method) return false
  return typeof matcher.path === 'string' ? matcher.path === entry.path : matcher.path.test(entry.path)
}

export function faultRule(fault: CallFault, oldId: string): FaultRule {
  return {
    ...matcherFor(fault.call, oldId),
    nth: fault.call.nth,
    times: fault.times,
    response: fault.response,
    phase: fault.phase
  }
}

/** The log entries a template matches, in arrival order. */
export function callsOf(s: Scenario, call: Pick<CallTemplate, 'api' | 'method' | 'template'>): LogEntry[] {
  const matcher = matcherFor(call, s.token.id)
  return s.emu.log.filter((e) => matches(e, matcher))
}

/** `repo:acme/api` for `/repos/acme/api/actions/secrets/...` etc. */
function targetOf(path: string): string | undefined {
  const env = /^\/repos\/([^/]+\/[^/]+)\/environments\/([^/]+)\/secrets/.exec(path)
  if (env) return `environment:${env[1]}/${decodeURIComponent(env[2]!)}`
  const repo = /^\/repos\/([^/]+\/[^/]+)\/(actions|dependabot)\/secrets/.exec(path)
  if (repo) return `${repo[2] === 'actions' ? 'repo' : 'dependabot'}:${repo[1]}`
  const org = /^\/orgs\/([^/]+)\/(actions|dependabot)\/secrets/.exec(path)
  if (org) return `${org[2] === 'actions' ? 'org' : 'dependabot-org'}:${org[1]}`
  return undefined
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const JOURNAL_MENTION = /journal/
/**
 * The journal's store answers a 404 on updating the variable by creating it, and a 409 or 422 on
 * creating it by updating it; when both are refused, the message gives the second answer.
 */
const JOURNAL_WRITE_FALLBACK = /write the journal \(journal variable \w+\) failed \(HTTP (404|409)\b/

/** The journal's requests of a clean run, in order, in the protocol's terms. */
const JOURNAL_READS: [string, Step][] = [
  ['journal: read', 'journal-read'],
  ['journal: read again before the intent', 'journal-read'],
  ['journal: read back the intent', 'journal-intent'],
  ['journal: read before writing the targets', 'journal-recheck'],
  ['journal: read before retiring the old token', 'journal-confirm']
]
const JOURNAL_UPDATES: [string, Step][] = [
  ["journal: record the new token's ID", 'journal-record'],
  ['journal: record that every target holds the new pair', 'journal-written'],
  ['journal: close the rotation', 'journal-close']
]

/** Names a call of the clean log in the protocol's terms. */
function classify(entry: LogEntry, template: string, nth: number, newId: string): Omit<Row, 'call' | 'triggers'> {
  const asNew = entry.authorization === `planetscale:${newId}`
  if (entry.api === 'github' && /\/actions\/variables(\/[A-Z0-9_]+)?$/.test(template)) {
    const item = /\/variables\/[A-Z0-9_]+$/.test(template)
    const kind =
      item && entry.method === 'GET'
        ? JOURNAL_READS[nth - 1]
        : item && entry.method === 'PATCH'
          ? JOURNAL_UPDATES[nth - 1]
          : !item && entry.method === 'GET' && nth === 1
            ? (['journal: does its repository exist (no journal yet)', 'journal-read'] as [string, Step])
            : !item && entry.method === 'POST' && nth === 1
              ? (['journal: record the intent (create the variable)', 'journal-intent'] as [string, Step])
              : undefined
    if (kind) {
      const row = { label: kind[0], step: kind[1], mention: JOURNAL_MENTION }
      // A 404 on reading the journal is "no journal yet": the intent then reads back as someone else's.
      if (entry.method === 'GET' && item) return { ...row, notFound: /Another run began a rotation|journal/ }
      if (entry.method === 'POST') return { ...row, refused: { 422: JOURNAL_WRITE_FALLBACK } }
      if (entry.method === 'PATCH') return { ...row, notFound: JOURNAL_WRITE_FALLBACK }
      return row
    }
  }
  if (entry.api === 'planetscale') {
    if (template === '/organizations') {
      return asNew
        ? { label: 'test: list organizations as the new token', step: 'test', mention: /list organizations|new token/ }
        : { label: 'check: list organizations', step: 'check', mention: /list organizations/ }
    }
    if (entry.method === 'POST' && template.endsWith('/service-tokens'))
      return { label: 'create token', step: 'create', mention: /create token/ }
    if (entry.method === 'POST' && template.endsWith('/access'))
      return { label: `grant #${nth}`, step: 'grant', mention: /grant/ }
    if (entry.method === 'DELETE' && template.endsWith('{old}'))
      return { label: 'delete the old token as the new one', step: 'finish', mention: /delet/ }
    if (entry.method === 'GET' && template.endsWith('{new}'))
      return { label: "test: read the new token's record", step: 'test', mention: /read token|new token/ }
    if (entry.method === 'GET' && template.endsWith('{old}') && asNew)
      return { label: 'finish: read the old token before deleting it', step: 'finish-read', mention: /delet/ }
    if (entry.method === 'GET' && template.endsWith('{old}')) {
      return nth === 1
        ? { label: 'check: read the token to replace', step: 'check', mention: /read token/ }
        : {
            label: 'test: the token to replace still exists',
            step: 'test',
            mention: /read token|disappeared/,
            notFound: /disappeared while this run was rotating it/
          }
    }
  } else {
    const target = targetOf(template)
    if (target) {
      const where = new RegExp(escape(target))
      if (template.endsWith('/public-key'))
        return { label: `check: public key of ${target}`, step: 'check', target, mention: where }
      const name = template.slice(template.lastIndexOf('/') + 1)
      if (entry.method === 'GET')
        return { label: `check: read ${name} of ${target}`, step: 'check', target, mention: where }
      if (entry.method === 'PUT' && name === ID_NAME)
        return { label: `write ID to ${target}`, step: 'write-id', target, mention: where }
      if (entry.method === 'PUT' && name === TOKEN_NAME)
        return { label: `write token to ${target}`, step: 'write-token', target, mention: where }
    }
  }
  throw new Error(`fault matrix: no row kind for ${entry.api} ${entry.method} ${entry.path}; teach classify() about it`)
}

/**
 * The check step's lists of secret names at scopes that override the targets (shadowed copies): no
 * change depends on them (a list that fails is a note, never a stop), so they are not rows; the
 * shadowing suite (secret-scopes.test.ts) gives them their faults.
 */
function isShadowingRead(entry: LogEntry): boolean {
  return (
    entry.api === 'github' &&
    entry.method === 'GET' &&
    /^\/repos\/[^/]+\/[^/]+\/(environments|environments\/[^/]+\/secrets|actions\/secrets)$/.test(entry.path)
  )
}

/** A run's calls as templates with their nth, in arrival order. */
function templatesOf(log: LogEntry[], oldId: string, newId: string): { entry: LogEntry; call: CallTemplate }[] {
  const seen = new Map<string, number>()
  return log.map((entry) => {
    const template = entry.path.replaceAll(oldId, '{old}').replaceAll(newId, '{new}')
    const key = `${entry.api} ${entry.method} ${template}`
    const nth = (seen.get(key) ?? 0) + 1
    seen.set(key, nth)
    return { entry, call: { api: entry.api, method: entry.method, template, nth } }
  })
}

const BURST_500 = { status: 500, body: { message: 'Server Error' } }
const GRANT_REFUSED = { status: 403, body: { code: 'forbidden', message: 'Forbidden' } }
const WRITE_REFUSED = { status: 403, body: { message: 'Resource not accessible by integration' } }
/** One try and three retries: what the GitHub client makes of one write before it gives up. */
const CLIENT_ATTEMPTS = 4

/**
 * The matrix's rotation deletes the old token at once (`delete-previous: true`), so that the delete
 * is a row too; with the default grace the requests are the same but for the finish's read and delete.
 */
export const MATRIX_INPUTS = { 'delete-previous': 'true' }

/**
 * Runs a clean rotation into `targets` and turns its log into rows, then adds the rows that
 * only exist after another failure: writing a token again after its outcome stayed unknown,
 * restoring each target's old ID after its token write was refused, and deleting the new token in
 * compensation (after a failed grant, and after no target could be written).
 */
export async function discoverRows(targets: readonly string[]): Promise<{ rows: Row[]; cleanLog: string[] }> {
  const s = await startScenario({ targets })
  try {
    const run = await runAction({ ...s.inputs, ...MATRIX_INPUTS }, { env: s.env })
    const problems = invariantViolations(s)
    if (run.code !== 0 || problems.length > 0)
      throw new Error(`fault matrix: the clean run failed (exit ${run.code}): ${problems.join('; ')}`)
    const newId = s.emu.planetscale.tokens('acme').find((t) => t.id !== s.token.id)?.id
    if (!newId) throw new Error('fault matrix: the clean run left no new token')
    const calls = templatesOf(
      s.emu.log.filter((e) => !isShadowingRead(e)),
      s.token.id,
      newId
    )
    const rows: Row[] = calls.map(({ entry, call }) => ({
      ...classify(entry, call.template, call.nth, newId),
      call,
      triggers: []
    }))

    for (const { call } of calls) {
      if (call.method !== 'PUT' || !call.template.endsWith(`/${TOKEN_NAME}`)) continue
      const target = targetOf(call.template)!
      const idCall = calls.find(
        (c) =>
          c.call.method === 'PUT' && c.call.template === call.template.replace(new RegExp(`${TOKEN_NAME}$`), ID_NAME)
      )
      if (!idCall) throw new Error(`fault matrix: no ID write before ${call.template}`)
      rows.push({
        label: `write the token again to ${target}`,
        step: 'rewrite',
        target,
        // The token write's first request after the client gave up on the first write.
        call: { ...call, nth: call.nth + CLIENT_ATTEMPTS },
        // An outage that outlasts the client's retries: the write's outcome is unknown.
        triggers: [{ call, times: CLIENT_ATTEMPTS, response: BURST_500 }],
        mention: new RegExp(escape(target))
      })
      rows.push({
        label: `restore the old ID of ${target}`,
        step: 'restore',
        target,
        // The second PUT of the ID secret is the write-back of the old ID.
        call: { ...idCall.call, nth: idCall.call.nth + 1 },
        // The token write refused for certain: the old token is still in place, the old ID goes back.
        triggers: [{ call, times: Infinity, response: WRITE_REFUSED }],
        mention: new RegExp(escape(target))
      })
    }

    const grant = calls.find((c) => c.call.method === 'POST' && c.call.template.endsWith('/access'))!.call
    const deleteNew = {
      api: 'planetscale' as const,
      method: 'DELETE',
      template: grant.template.replace(/\/access$/, ''),
      nth: 1
    }
    rows.push({
      label: 'compensate: delete the new token after a failed grant',
      step: 'compensate',
      call: deleteNew,
      triggers: [{ call: grant, times: Infinity, response: GRANT_REFUSED }],
      mention: /delet|grant/
    })
    const idWrites = calls.filter((c) => c.call.method === 'PUT' && c.call.template.endsWith(`/${ID_NAME}`))
    rows.push({
      label: 'compensate: delete the new token after no target was written',
      step: 'compensate',
      call: deleteNew,
      triggers: idWrites.map(({ call }) => ({ call, times: Infinity, response: WRITE_REFUSED })),
      mention: /No target holds the new pair|delet/
    })
    const labels = rows.map((r) => r.label)
    const duplicate = labels.find((l, i) => labels.indexOf(l) !== i)
    if (duplicate) throw new Error(`fault matrix: two rows are labelled "${duplicate}"`)
    return {
      rows,
      cleanLog: calls.map(({ entry, call }) => `${entry.api} ${call.method} ${call.template} #${call.nth}`)
    }
  } finally {
    await s.emu.stop()
  }
}
