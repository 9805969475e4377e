// `audit`'s rules: PlanetScale's advice for service tokens (rotate every 90 days, delete unused
// tokens, let none outlive its use, grant the least scope), as findings on an organization's
// tokens. Pure: tokens, their accesses, the time and the settings in; findings and the deletion
// plan out. Choices the README does not spell out are documented in docs/audit.md.
import { JOB_TOKEN_TTL } from '../inputs/durations.js'
import type { ServiceToken, TokenAccess } from '../planetscale/types.js'
import { formatAge, formatTime } from '../report/format.js'
import { managedKind } from '../report/summaries.js'

export const TOKEN_ADMIN = 'token-admin'
export const UNUSED = 'unused'
export const JOB_TOKEN_LEFTOVER = 'job-token-leftover'
export const STALE = 'stale'
export const NO_EXPIRY = 'no-expiry'
export const EXPIRING = 'expiring'

/** Every rule, worst first: the order of the findings output and of the job summary. */
export const AUDIT_RULES = [TOKEN_ADMIN, UNUSED, JOB_TOKEN_LEFTOVER, STALE, NO_EXPIRY, EXPIRING] as const
export type AuditRule = (typeof AUDIT_RULES)[number]

/** What each rule holds a token to, in one line (the job summary's section headings). */
export const RULE_TITLES: Record<AuditRule, string> = {
  [TOKEN_ADMIN]: 'Organization-level token management on a token that rotates none',
  [UNUSED]: 'Not used for `unused-for`, or never used and older than a day',
  [JOB_TOKEN_LEFTOVER]: "A job token that outlived its job (the action's post step never deleted it)",
  [STALE]: 'Older than `max-age`',
  [NO_EXPIRY]: 'Never expires',
  [EXPIRING]: 'Expires within 7 days (or has expired), and no rotation replaces it'
}

/** Accesses that let a token make, widen or delete tokens: only a rotator needs them. */
export const TOKEN_ADMIN_ACCESSES = ['write_service_tokens', 'delete_service_tokens'] as const
export const EXPIRING_WITHIN_SECONDS = 7 * 86_400
/** A token never used is not reported before this: it may be waiting for its first job. */
export const NEVER_USED_GRACE_SECONDS = 86_400

export interface AuditSettings {
  maxAgeSeconds: number
  unusedForSeconds: number
}

export interface AuditedToken {
  /** The freshest record (the token's own read over its list item). */
  token: ServiceToken
  /** undefined: not known. A missing field never reads as "no accesses". */
  accesses: readonly TokenAccess[] | undefined
}

export interface AuditContext extends AuditSettings {
  now: Date
  /** The token the audit authenticates with. */
  selfId: string
}

export type Management =
  /** `current`: the newest token of its line, the one the rotation's targets hold. */
  | { kind: 'rotation'; line: string; current: boolean; replacedBy?: ServiceToken }
  | { kind: 'job-token' }
  | { kind: 'none' }

export interface Finding {
  id: string
  name: string
  rule: AuditRule
  detail: string
}

const ISO_SECOND = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g
const MARKER_SUFFIX = /\s+r-[0-9a-f]{10}$/

/**
 * A rotation line: the tokens named from one `token-name`, i.e. the name without the run's marker
 * and with `{date}` (the default name's UTC second) blanked. Names whose other placeholders vary
 * (`{run_id}`) make a line of one token each, which only ever protects more tokens from deletion.
 */
export function rotationLine(name: string): string {
  return name.replace(MARKER_SUFFIX, '').replace(ISO_SECOND, '{date}')
}

/** Who manages each token: this action's rotation (and whether the token is its line's newest), a job, nobody. */
export function management(tokens: readonly ServiceToken[]): Map<string, Management> {
  const newest = new Map<string, ServiceToken[]>()
  for (const token of tokens) {
    if (managedKind(token.name) !== 'rotation') continue
    const line = rotationLine(token.name ?? '')
    const best = newest.get(line)
    const created = Date.parse(token.created_at)
    const bestCreated = best === undefined ? -Infinity : Date.parse(best[0]!.created_at)
    // Ties all count as current: which one the targets hold cannot be told apart.
    if (best === undefined || created > bestCreated) newest.set(line, [token])
    else if (created === bestCreated) best.push(token)
  }
  const result = new Map<string, Management>()
  for (const token of tokens) {
    const kind = managedKind(token.name)
    if (kind === 'job-token') result.set(token.id, { kind: 'job-token' })
    else if (kind === undefined) result.set(token.id, { kind: 'none' })
    else {
      const line = rotationLine(token.name ?? '')
      const heads = newest.get(line) ?? []
      const current = heads.some((t) => t.id === token.id)
      result.set(token.id, { kind: 'rotation', line, current, ...(current ? {} : { replacedBy: heads[0] }) })
    }
  }
  return result
}

export function tokenName(token: ServiceToken): string {
  return token.name ?? token.display_name ?? ''
}

const seconds = (ms: number): number => ms / 1000

function ageSeconds(token: ServiceToken, now: Date): number {
  return seconds(now.getTime() - Date.parse(token.created_at))
}

function expiresAt(token: ServiceToken): number | undefined {
  return token.expires_at ? Date.parse(token.expires_at) : undefined
}

function isExpired(token: ServiceToken, now: Date): boolean {
  const at = expiresAt(token)
  return at !== undefined && at <= now.getTime()
}

/** Seconds since the token was last used, or since it was created when never used. */
export function idleSeconds(token: ServiceToken, now: Date): number {
  return seconds(now.getTime() - Date.parse(token.last_used_at ?? token.created_at))
}

/** A job token whose job is over for sure: past its expiry, or (no expiry) past the longest job-token ttl. */
function outlivedItsJob(token: ServiceToken, now: Date): boolean {
  const at = expiresAt(token)
  return at === undefined ? ageSeconds(token, now) > JOB_TOKEN_TTL.maxSeconds : at <= now.getTime()
}

function organizationAccesses(accesses: readonly TokenAccess[]): Set<string> {
  return new Set(accesses.filter((a) => a.resource_type === 'Organization').map((a) => a.access))
}

/** The findings on every token, worst rule first, then oldest token first. */
export function evaluate(tokens: readonly AuditedToken[], context: AuditContext): Finding[] {
  const managed = management(tokens.map((t) => t.token))
  const findings = tokens.flatMap((t) => evaluateToken(t, managed.get(t.token.id) ?? { kind: 'none' }, context))
  const created = new Map(tokens.map((t) => [t.token.id, Date.parse(t.token.created_at)]))
  return findings.sort(
    (a, b) =>
      AUDIT_RULES.indexOf(a.rule) - AUDIT_RULES.indexOf(b.rule) ||
      created.get(a.id)! - created.get(b.id)! ||
      a.id.localeCompare(b.id)
  )
}

function evaluateToken(audited: AuditedToken, managed: Management, context: AuditContext): Finding[] {
  const { token, accesses } = audited
  const { now } = context
  const found: Finding[] = []
  const add = (rule: AuditRule, detail: string) => found.push({ id: token.id, name: tokenName(token), rule, detail })
  const age = ageSeconds(token, now)
  // An expired token is no credential any more: it is only reported as expired, unused or left over.
  const expired = isExpired(token, now)

  if (!expired && accesses !== undefined && managed.kind !== 'rotation' && token.id !== context.selfId) {
    const held = organizationAccesses(accesses)
    const admin = TOKEN_ADMIN_ACCESSES.filter((a) => held.has(a))
    if (admin.length > 0) {
      add(
        TOKEN_ADMIN,
        `holds ${admin.join(', ')} at organization level, yet no rotation by this action manages it: ` +
          'it can make or delete tokens. Revoke them unless it rotates tokens (then rotate it with this action).'
      )
    }
  }

  const idle = idleSeconds(token, now)
  const unusedFor = `unused-for (${formatAge(context.unusedForSeconds)})`
  if (token.last_used_at ? idle > context.unusedForSeconds : age > NEVER_USED_GRACE_SECONDS) {
    add(
      UNUSED,
      token.last_used_at
        ? `last used ${formatAge(idle)} ago (${formatTime(token.last_used_at)}), more than ${unusedFor}`
        : `never used, created ${formatAge(age)} ago`
    )
  }

  if (managed.kind === 'job-token' && outlivedItsJob(token, now)) {
    add(
      JOB_TOKEN_LEFTOVER,
      token.expires_at
        ? `expired ${formatTime(token.expires_at)} and still exists: its job's post step never deleted it`
        : `created ${formatAge(age)} ago without an expiry: its job's post step never deleted it`
    )
  }

  if (!expired && managed.kind !== 'job-token' && age > context.maxAgeSeconds) {
    const limit = `max-age (${formatAge(context.maxAgeSeconds)})`
    if (managed.kind === 'rotation' && managed.current) {
      add(
        STALE,
        `created ${formatAge(age)} ago, more than ${limit}, and the newest token of its rotation line: ` +
          'the rotation is not keeping up; check the workflow that rotates it'
      )
    } else if (managed.kind === 'rotation' && managed.replacedBy) {
      add(
        STALE,
        `created ${formatAge(age)} ago, more than ${limit}; its rotation replaced it with ${managed.replacedBy.id} ` +
          'but it is still valid: delete it once nothing uses it'
      )
    } else {
      add(STALE, `created ${formatAge(age)} ago, more than ${limit}: replace it, or let this action rotate it`)
    }
  }

  if (!token.expires_at) add(NO_EXPIRY, 'never expires: give its replacement a ttl')

  const at = expiresAt(token)
  if (managed.kind === 'none' && at !== undefined && at - now.getTime() <= EXPIRING_WITHIN_SECONDS * 1000) {
    const left = seconds(at - now.getTime())
    add(
      EXPIRING,
      left > 0
        ? `expires ${formatTime(token.expires_at!)} (in ${formatAge(left)}) and no rotation replaces it`
        : `expired ${formatTime(token.expires_at!)} (${formatAge(-left)} ago): delete it`
    )
  }
  return found
}

// ---- delete-unused --------------------------------------------------------------------------

export interface DeletionPlan {
  /** Tokens to delete, oldest first. */
  delete: ServiceToken[]
  /** Tokens with an `unused` finding that stay, and why. */
  keep: { token: ServiceToken; why: string }[]
}

/**
 * Of the tokens with an `unused` finding, those delete-unused may delete: never the token the
 * audit runs with, an ignored one, a token of this action's rotation, a job token within its ttl,
 * or one used (or, never used, created) within `unused-for`.
 */
export function deletionPlan(
  tokens: readonly AuditedToken[],
  findings: readonly Finding[],
  context: AuditContext & { ignored(token: ServiceToken): boolean }
): DeletionPlan {
  const unused = new Set(findings.filter((f) => f.rule === UNUSED).map((f) => f.id))
  const managed = management(tokens.map((t) => t.token))
  const plan: DeletionPlan = { delete: [], keep: [] }
  const candidates = tokens
    .map((t) => t.token)
    .filter((t) => unused.has(t.id))
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
  for (const token of candidates) {
    const why = keepReason(token, managed.get(token.id) ?? { kind: 'none' }, context)
    if (why === undefined) plan.delete.push(token)
    else plan.keep.push({ token, why })
  }
  return plan
}

function keepReason(
  token: ServiceToken,
  managed: Management,
  context: AuditContext & { ignored(token: ServiceToken): boolean }
): string | undefined {
  if (token.id === context.selfId) return 'the token this audit authenticates with'
  if (context.ignored(token)) return 'listed in `ignore`'
  // Which token of a line its targets hold is in the rotation's journal, not in the names: the
  // newest may be an interrupted run's. The rotation retires its own tokens, after their grace.
  if (managed.kind === 'rotation')
    return managed.current
      ? "the newest token of its rotation line: the rotation's targets hold it"
      : "made by this action's rotation, which retires its own tokens: its targets may still hold it"
  if (managed.kind === 'job-token' && !outlivedItsJob(token, context.now))
    return 'a job token within its ttl: its job may still be running'
  const idle = idleSeconds(token, context.now)
  if (idle <= context.unusedForSeconds) {
    const since = token.last_used_at ? 'used' : 'created'
    return `${since} ${formatAge(idle)} ago, within unused-for (${formatAge(context.unusedForSeconds)})`
  }
  return undefined
}

/**
 * `ignore`: an entry is a token ID, or a name pattern in which `*` stands for any characters
 * (the whole name must match; case matters, as in PlanetScale's names).
 */
export function ignoreMatcher(entries: readonly string[]): (token: ServiceToken) => boolean {
  const ids = new Set(entries)
  const patterns = entries.map((entry) => new RegExp(`^${entry.split('*').map(escapeRegExp).join('.*')}$`, 's'))
  return (token) => {
    const name = tokenName(token)
    return ids.has(token.id) || (name !== '' && patterns.some((p) => p.test(name)))
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
