// Step 1, check: every read the run depends on, in parallel, before anything changes.
import { InputError, RotationError, allOrReport } from '../errors.js'
import { shadowWarning, uncheckedLines, type ShadowCheck } from '../github/shadowing.js'
import type { PreparedTarget } from '../github/types.js'
import type { TargetSpec } from '../inputs/targets.js'
import { closestAccess, KNOWN_ACCESSES } from '../planetscale/access-names.js'
import type { Grant, ServiceToken } from '../planetscale/types.js'
import { quote } from '../inputs/text.js'
import { redactUntrusted } from '../redact.js'
import { formatAge } from '../report/format.js'
import { JOURNAL_WRITES_BASE, TARGETS_PER_JOURNAL_WRITE } from './0-journal.js'
import { accessKeys, grantsFromAccesses } from './accesses.js'
import type { ProtocolDeps } from './ports.js'

/** The writes must end this long before the github-token expires, besides twice their estimated length. */
export const EXPIRY_MARGIN_MS = 5 * 60_000

export interface CheckRequest {
  organization: string
  /** What `GET /organizations` answered in step 0 (it proved the credentials). */
  organizations: string[]
  /** The action's own token ID (after any re-pairing). */
  actionTokenId: string
  /** The token to replace (rotate), or undefined (create). */
  tokenId: string | undefined
  targets: readonly TargetSpec[]
  secretNames: readonly string[]
  /** Explicit grants; undefined = copy the old token's. */
  accesses: Grant[] | undefined
}

export interface CheckResult {
  oldToken: ServiceToken | undefined
  grants: Grant[]
  targets: PreparedTarget[]
  /** Same-named copies at scopes that override the targets', which this run leaves as they are. */
  shadowing: ShadowCheck
}

export async function check(deps: ProtocolDeps, request: CheckRequest): Promise<CheckResult> {
  const { planetscale, secrets, log } = deps
  if (!request.organizations.includes(request.organization)) {
    throw new RotationError(
      `The service token ${request.actionTokenId} does not belong to the PlanetScale organization ` +
        `"${request.organization}" ` +
        `(it can see: ${seenOrganizations(request.organizations)}). Check the \`organization\` input.`
    )
  }
  log.info(`Checking the token to replace and ${request.targets.length} target(s)...`)
  const readOwnToken = request.tokenId !== request.actionTokenId
  const [oldToken, ownToken, targets, shadowing] = await allOrReport('Check failed', [
    request.tokenId === undefined ? Promise.resolve(undefined) : planetscale.getToken(request.tokenId),
    // A token may only grant what it holds: read our own accesses to refuse the others up front.
    readOwnToken ? planetscale.getToken(request.actionTokenId).catch(() => undefined) : Promise.resolve(undefined),
    Promise.all(request.targets.map((spec) => secrets.prepare(spec, request.secretNames))),
    secrets.findShadowedCopies(request.targets, request.secretNames)
  ] as const)
  reportShadowing(deps, shadowing)

  const grants = request.accesses ?? grantsFromAccesses(oldToken?.service_token_accesses ?? [], request.tokenId ?? '')
  if (grants.length === 0) {
    throw new RotationError(
      `The token ${request.tokenId} has no accesses to copy, so its replacement would be useless. ` +
        'Give them with the `accesses` input.'
    )
  }
  for (const access of new Set(grants.flatMap((g) => g.access))) {
    if (!KNOWN_ACCESSES.has(access)) {
      log.warning(
        `"${access}" is not an access name PlanetScale lists for service tokens ` +
          `(did you mean "${closestAccess(access)}"?).`
      )
    }
  }
  const own = readOwnToken ? ownToken : oldToken
  if (own) refuseUnheld(grants, own, request)
  else
    log.debug(`The action's token ${request.actionTokenId} cannot read its own record; accesses are checked on grant.`)
  return { oldToken, grants, targets, shadowing }
}

/** A copy that overrides a target is a warning; a list the github-token may not read, a note. */
function reportShadowing({ log }: ProtocolDeps, shadowing: ShadowCheck): void {
  for (const copy of shadowing.copies) log.warning(shadowWarning(copy))
  for (const { line, kind } of uncheckedLines(shadowing)) {
    if (kind === 'failed') log.warning(line)
    else log.info(line)
  }
  for (const note of shadowing.notes) log.debug(note)
}

/** Every access to grant must be one the action's own token holds (directly, or organization-wide). */
function refuseUnheld(grants: readonly Grant[], own: ServiceToken, request: CheckRequest): void {
  const held = accessKeys(grantsFromAccesses(own.service_token_accesses ?? [], own.id))
  const missing = [...accessKeys(grants)].filter((key) => {
    if (held.has(key)) return false
    const database = /^database:[^:]*:(.+)$/.exec(key)
    return !(database && held.has(`organization:${database[1]}`))
  })
  if (missing.length === 0) return
  const problem =
    `the action's token ${own.id} does not hold ${missing.sort().join(', ')}, and PlanetScale lets a token grant ` +
    'only what it holds (a misspelt permission or database shows up here too). Nothing was changed: fix the names, ' +
    'or give the action a token that holds them.'
  if (request.accesses !== undefined) throw new InputError('accesses', problem)
  throw new RotationError(`The accesses of ${request.tokenId} cannot be copied: ${problem}`)
}

/** How long a run's paced GitHub writes (secrets and journal) and the new token's test may take. */
export function estimateMs(deps: Pick<ProtocolDeps, 'writeSpacingMs' | 'verifyTimeoutMs'>, targets: number): number {
  const writes = 2 * targets + JOURNAL_WRITES_BASE + Math.ceil(targets / TARGETS_PER_JOURNAL_WRITE)
  return writes * deps.writeSpacingMs + deps.verifyTimeoutMs
}

/** The check step's last question: can the paced writes end well before the github-token expires? */
export function checkTokenLifetime(deps: ProtocolDeps, targets: number): void {
  const expiresAt = deps.githubTokenExpiresAt()
  if (!expiresAt || targets === 0) return
  const needMs = 2 * estimateMs(deps, targets) + EXPIRY_MARGIN_MS
  const leftMs = expiresAt.getTime() - deps.now().getTime()
  if (leftMs >= needMs) return
  throw new RotationError(
    `The github-token expires at ${expiresAt.toISOString()} (in ${formatAge(Math.max(0, leftMs) / 1000)}); ` +
      `this run's writes to ${targets} target(s) should end well before that, which needs ` +
      `${formatAge(needMs / 1000)}. Nothing was changed: create the token in the same job, right before this ` +
      'step (a GitHub App installation token lasts one hour), or write fewer targets per run.'
  )
}

/** The organizations a token sees, as PlanetScale names them, fit for a message: quoted, redacted, at most 10. */
function seenOrganizations(names: readonly string[]): string {
  if (names.length === 0) return 'none'
  const shown = names.slice(0, 10).map((name) => quote(redactUntrusted(name)))
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ')
}
