// Shadowed copies. A job gets the secret of the closest scope: an environment secret overrides a
// repository secret of the same name, which overrides an organization secret (github-secrets-api.md).
// A same-named copy at an overriding scope that this run does not write keeps what it holds; if that
// is the pair being replaced, the jobs reading it are locked out once the old token goes. The check
// step lists secret names (never values) at those scopes and warns about each copy it finds.
// Which lists to read and what they mean is computed here; the reads come through a ShadowReader
// (secrets.ts wires Octokit, the tests an in-memory one). Dependabot secrets are another store,
// with no precedence over or under Actions secrets: they are not looked at.
import type { TargetSpec } from '../inputs/targets.js'
import { briefFailure, httpStatus } from './errors.js'

/** Requests the check for shadowed copies may send in one run (each page counts). */
export const MAX_SHADOW_READS = 50
export const SHADOW_PAGE_SIZE = 100

export interface RepoRef {
  readonly owner: string
  readonly repo: string
}

/** A secret as a list answers it: its name and when it was last written, never its value. */
export interface SecretEntry {
  name: string
  updatedAt?: string
}

export interface Page<T> {
  totalCount: number
  items: T[]
}

/** The three lists the check reads, one page at a time. */
export interface ShadowReader {
  listEnvironments(repo: RepoRef, page: number, perPage: number): Promise<Page<string>>
  listRepoSecrets(repo: RepoRef, page: number, perPage: number): Promise<Page<SecretEntry>>
  listEnvironmentSecrets(repo: RepoRef, environment: string, page: number, perPage: number): Promise<Page<SecretEntry>>
}

/**
 * The repositories an organization secret reaches: the selected ones, or (visibility `all` or
 * `private`) every repository of the organization, too many to list, so only the repositories of
 * this run's own `repo:` and `environment:` targets are checked.
 */
export type OrgReach =
  { kind: 'selected'; repositories: RepoRef[] } | { kind: 'unlisted'; visibility: 'all' | 'private' }

/** Per `org:` target label: what each secret name reaches; undefined when that is not known. */
export type OrgReaches = ReadonlyMap<string, (name: string) => OrgReach | undefined>

export interface ShadowedCopy {
  /** Where the copy is, as a target line would name it, e.g. `environment:acme/api/production`. */
  scope: string
  /** The names it holds of those this run writes, upper-case, in the order they are written. */
  names: string[]
  /** The latest `updated_at` among them, as GitHub gave it. */
  updatedAt?: string
  /** Labels of the targets whose secrets it overrides. */
  overrides: string[]
}

export interface ShadowCheck {
  copies: ShadowedCopy[]
  /** Lists that were not read, e.g. `{ where: 'environment:acme/api/staging', reason: UNREADABLE, … }`. */
  unchecked: Unchecked[]
  /** What the check left out on purpose: organization secrets visible to more repositories than it lists. */
  notes: string[]
}

/** unreadable: 403/404 (the token may not read it); capped: over MAX_SHADOW_READS; failed: any other failure. */
export interface Unchecked {
  where: string
  reason: string
  kind: 'unreadable' | 'capped' | 'failed'
}

export const UNREADABLE = 'the github-token cannot read it'

// ---- what to read --------------------------------------------------------------------------

export interface RepoPlan {
  repo: RepoRef
  /** Its repository secrets override an organization target's (and no `repo:` target writes them). */
  repoSecrets: boolean
  /** Environments this run writes (lower-case): their secrets are not copies. */
  written: Set<string>
}

const repoKey = (r: RepoRef) => `${r.owner}/${r.repo}`.toLowerCase()

/** A `repo:` target of this run writes the repository's own secrets. */
function writesRepository(targets: readonly TargetSpec[], r: RepoRef): boolean {
  return targets.some((t) => t.kind === 'repo' && repoKey(t) === repoKey(r))
}

/** The repositories of this run's `repo:` and `environment:` targets in an organization. */
function runRepositories(targets: readonly TargetSpec[], org: string): RepoRef[] {
  return targets.flatMap((t) =>
    (t.kind === 'repo' || t.kind === 'environment') && t.owner.toLowerCase() === org.toLowerCase()
      ? [{ owner: t.owner, repo: t.repo }]
      : []
  )
}

/** The repositories an organization target's secret `name` reaches, as far as the check looks. */
function reached(targets: readonly TargetSpec[], spec: TargetSpec, reach: OrgReach | undefined): RepoRef[] {
  if (spec.kind !== 'org' || reach === undefined) return []
  return reach.kind === 'selected' ? reach.repositories : runRepositories(targets, spec.org)
}

/** Which repositories to look into, and whether their repository secrets matter. Pure. */
export function planShadowReads(
  targets: readonly TargetSpec[],
  secretNames: readonly string[],
  reaches: OrgReaches
): RepoPlan[] {
  const plans = new Map<string, RepoPlan>()
  const add = (repo: RepoRef, repoSecrets: boolean) => {
    const key = repoKey(repo)
    const plan = plans.get(key) ?? { repo, repoSecrets: false, written: new Set<string>() }
    plan.repoSecrets ||= repoSecrets && !writesRepository(targets, repo)
    plans.set(key, plan)
  }
  for (const spec of targets) {
    if (spec.kind === 'repo') add({ owner: spec.owner, repo: spec.repo }, false)
    if (spec.kind !== 'org') continue
    const reachOf = reaches.get(spec.label)
    for (const name of secretNames) for (const repo of reached(targets, spec, reachOf?.(name))) add(repo, true)
  }
  for (const spec of targets) {
    if (spec.kind === 'environment') plans.get(repoKey(spec))?.written.add(spec.environment.toLowerCase())
  }
  return [...plans.values()]
}

/** Notes on organization secrets whose repositories the check cannot list. Pure. */
export function reachNotes(
  targets: readonly TargetSpec[],
  secretNames: readonly string[],
  reaches: OrgReaches
): string[] {
  const notes: string[] = []
  for (const spec of targets) {
    if (spec.kind !== 'org') continue
    const reachOf = reaches.get(spec.label)
    const unlisted = secretNames.filter((name) => reachOf?.(name)?.kind === 'unlisted')
    if (unlisted.length === 0) continue
    const checked = [...new Set(runRepositories(targets, spec.org).map((r) => `${r.owner}/${r.repo}`))]
    notes.push(
      `${spec.label}: ${unlisted.join(' and ')} ${unlisted.length > 1 ? 'are' : 'is'} visible to ` +
        `${visibilityText(reachOf, unlisted)} repositories of ${spec.org}, too many to list; copies that override ` +
        (checked.length > 0
          ? `it were looked for only in this run's repositories (${checked.join(', ')}).`
          : "it were not looked for (no repository of this run's targets is in the organization).")
    )
  }
  return notes
}

function visibilityText(reachOf: ((name: string) => OrgReach | undefined) | undefined, names: string[]): string {
  const kinds = new Set(names.map((name) => reachOf?.(name)).map((r) => (r?.kind === 'unlisted' ? r.visibility : '')))
  return kinds.size === 1 && kinds.has('all') ? 'all' : kinds.has('all') ? 'all or the private' : 'the private'
}

// ---- what the lists mean ---------------------------------------------------------------------

export type Listing<T> = { ok: true; items: T[] } | ({ ok: false } & Omit<Unchecked, 'where'>)

export interface RepoListing {
  repo: RepoRef
  /** Absent when not read (no organization target reaches it, or a `repo:` target writes it). */
  repoSecrets?: Listing<SecretEntry>
  environments: Listing<string>
  /** By environment name as listed; those this run writes are absent. */
  environmentSecrets: Map<string, Listing<SecretEntry>>
}

/** The copies the listings show, merged by scope. Pure. */
export function shadowedCopies(
  targets: readonly TargetSpec[],
  secretNames: readonly string[],
  reaches: OrgReaches,
  listings: readonly RepoListing[]
): ShadowCheck {
  const byRepo = new Map(listings.map((l) => [repoKey(l.repo), l]))
  const order = new Map(secretNames.map((name, i) => [name.toUpperCase(), i]))
  const copies = new Map<string, ShadowedCopy>()
  const add = (scope: string, found: SecretEntry[], target: string) => {
    if (found.length === 0) return
    const copy = copies.get(scope.toLowerCase()) ?? { scope, names: [], overrides: [] }
    for (const entry of found) {
      const name = entry.name.toUpperCase()
      if (!copy.names.includes(name)) copy.names.push(name)
      if (entry.updatedAt && (!copy.updatedAt || entry.updatedAt > copy.updatedAt)) copy.updatedAt = entry.updatedAt
    }
    copy.names.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
    if (!copy.overrides.includes(target)) copy.overrides.push(target)
    copies.set(scope.toLowerCase(), copy)
  }
  const among = (listing: Listing<SecretEntry> | undefined, names: readonly string[]) => {
    const wanted = new Set(names.map((n) => n.toUpperCase()))
    return listing?.ok ? listing.items.filter((e) => wanted.has(e.name.toUpperCase())) : []
  }
  /** Copies of `names` in the environments of `repo` that this run does not write. */
  const environmentCopies = (repo: RepoRef, names: readonly string[], target: string) => {
    const listing = byRepo.get(repoKey(repo))
    for (const [environment, secrets] of listing?.environmentSecrets ?? []) {
      add(`environment:${repo.owner}/${repo.repo}/${environment}`, among(secrets, names), target)
    }
  }
  for (const spec of targets) {
    if (spec.kind === 'repo') environmentCopies(spec, secretNames, spec.label)
    if (spec.kind !== 'org') continue
    const reachOf = reaches.get(spec.label)
    for (const name of secretNames) {
      for (const repo of reached(targets, spec, reachOf?.(name))) {
        if (!writesRepository(targets, repo)) {
          add(`repo:${repo.owner}/${repo.repo}`, among(byRepo.get(repoKey(repo))?.repoSecrets, [name]), spec.label)
        }
        environmentCopies(repo, [name], spec.label)
      }
    }
  }
  return {
    copies: [...copies.values()],
    unchecked: uncheckedOf(listings),
    notes: reachNotes(targets, secretNames, reaches)
  }
}

function uncheckedOf(listings: readonly RepoListing[]): Unchecked[] {
  const unchecked: Unchecked[] = []
  const note = (where: string, listing: Listing<unknown> | undefined) => {
    if (listing && !listing.ok) unchecked.push({ where, reason: listing.reason, kind: listing.kind })
  }
  for (const { repo, repoSecrets, environments, environmentSecrets } of listings) {
    const name = `${repo.owner}/${repo.repo}`
    note(`repo:${name}`, repoSecrets)
    note(`the environments of ${name}`, environments)
    for (const [environment, listing] of environmentSecrets) note(`environment:${name}/${environment}`, listing)
  }
  return unchecked
}

// ---- the reads -------------------------------------------------------------------------------

/** A bound on the requests of one check: a read that finds it spent is not sent. */
export interface ReadBudget {
  take(): boolean
}

export function readBudget(max = MAX_SHADOW_READS): ReadBudget {
  let left = max
  return { take: () => left-- > 0 }
}

const OVER_BUDGET = `the check sends at most ${MAX_SHADOW_READS} requests a run`

/** Every page of a list, each page a request taken from the budget; failures become a Listing, never a throw. */
async function readAll<T>(
  budget: ReadBudget,
  page: (n: number, perPage: number) => Promise<Page<T>>
): Promise<Listing<T>> {
  const items: T[] = []
  for (let n = 1; ; n++) {
    if (!budget.take()) return { ok: false, reason: OVER_BUDGET, kind: 'capped' }
    let answer: Page<T>
    try {
      answer = await page(n, SHADOW_PAGE_SIZE)
    } catch (error) {
      const status = httpStatus(error)
      // GitHub answers 404 for what a token cannot see, 403 for a permission it lacks.
      if (status === 403 || status === 404) return { ok: false, reason: UNREADABLE, kind: 'unreadable' }
      return { ok: false, reason: briefFailure(error), kind: 'failed' }
    }
    items.push(...answer.items)
    if (answer.items.length < SHADOW_PAGE_SIZE || items.length >= answer.totalCount) return { ok: true, items }
  }
}

async function readRepository(reader: ShadowReader, plan: RepoPlan, budget: ReadBudget): Promise<RepoListing> {
  const { repo } = plan
  const [environments, repoSecrets] = await Promise.all([
    readAll(budget, (n, size) => reader.listEnvironments(repo, n, size)),
    plan.repoSecrets ? readAll(budget, (n, size) => reader.listRepoSecrets(repo, n, size)) : undefined
  ])
  const names = environments.ok ? environments.items.filter((e) => !plan.written.has(e.toLowerCase())) : []
  const secrets = await Promise.all(
    names.map((env) => readAll(budget, (n, size) => reader.listEnvironmentSecrets(repo, env, n, size)))
  )
  return {
    repo,
    environments,
    environmentSecrets: new Map(names.map((env, i) => [env, secrets[i]!])),
    ...(repoSecrets && { repoSecrets })
  }
}

/**
 * Reads what overrides the targets' secrets and returns the copies found. Never throws for a list
 * it cannot read: that list is reported as not checked. At most MAX_SHADOW_READS requests.
 */
export async function findShadowing(
  reader: ShadowReader,
  targets: readonly TargetSpec[],
  secretNames: readonly string[],
  reaches: OrgReaches,
  budget: ReadBudget = readBudget()
): Promise<ShadowCheck> {
  const plans = planShadowReads(targets, secretNames, reaches)
  const listings = await Promise.all(plans.map((plan) => readRepository(reader, plan, budget)))
  return shadowedCopies(targets, secretNames, reaches, listings)
}

// ---- how it reads ----------------------------------------------------------------------------

/** Who reads a copy instead of the secret this run writes. */
function readers(copy: ShadowedCopy): string {
  return copy.scope.startsWith('environment:')
    ? 'jobs that use that environment'
    : `the workflows of ${copy.scope.slice('repo:'.length)}`
}

/** The warning for one copy, for the log. */
export function shadowWarning(copy: ShadowedCopy): string {
  const updated = copy.updatedAt ? ` (last written ${copy.updatedAt})` : ''
  return (
    `Shadowed copy: ${copy.scope} has its own ${copy.names.join(' and ')}${updated}, which ` +
    `${readers(copy)} read instead of what this run writes to ${copy.overrides.join(' and ')}. ` +
    'This run does not write it: if it holds the pair being replaced, those jobs are locked out once the old ' +
    `token is deleted. Add ${copy.scope} to \`targets\`, or delete that copy if nothing needs it.`
  )
}

/** The lists that were not read, one line per reason; `failed` lines deserve a warning, the others a note. */
export function uncheckedLines(check: ShadowCheck): { line: string; kind: Unchecked['kind'] }[] {
  const byReason = new Map<string, Unchecked[]>()
  for (const u of check.unchecked) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u])
  return [...byReason].map(([reason, list]) => {
    const shown = list.slice(0, 10).map((u) => u.where)
    const more = list.length > shown.length ? ` and ${list.length - shown.length} more` : ''
    const why = reason === UNREADABLE && list.length > 1 ? 'the github-token cannot read them' : reason
    return { line: `Could not check for shadowing copies at ${shown.join(', ')}${more} (${why}).`, kind: list[0]!.kind }
  })
}
