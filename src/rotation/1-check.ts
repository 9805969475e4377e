// Step 1, check: every read the run depends on, in parallel, before anything changes.
import { RotationError, allOrReport } from '../errors.js'
import type { PreparedTarget } from '../github/types.js'
import type { TargetSpec } from '../inputs/targets.js'
import type { Grant, ServiceToken } from '../planetscale/types.js'
import { accessKeys, diffAccessSets, grantsFromAccesses } from './accesses.js'
import type { ProtocolDeps } from './ports.js'

export interface CheckRequest {
  organization: string
  /** The action's own token ID. */
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
}

export async function check(deps: ProtocolDeps, request: CheckRequest): Promise<CheckResult> {
  const { planetscale, secrets, log } = deps
  log.info(`Checking PlanetScale credentials, the token to replace and ${request.targets.length} target(s)...`)
  const readOwnToken = request.tokenId !== request.actionTokenId
  const [organizations, oldToken, ownToken, targets] = await allOrReport('Check failed', [
    planetscale.listOrganizations(),
    request.tokenId === undefined ? Promise.resolve(undefined) : planetscale.getToken(request.tokenId),
    // Only needed to warn early when the action's token cannot grant what it must pass on.
    readOwnToken ? planetscale.getToken(request.actionTokenId).catch(() => undefined) : Promise.resolve(undefined),
    Promise.all(request.targets.map((spec) => secrets.prepare(spec, request.secretNames)))
  ] as const)

  if (!organizations.includes(request.organization)) {
    throw new RotationError(
      `The service token ${request.actionTokenId} does not belong to the PlanetScale organization ` +
        `"${request.organization}" ` +
        `(it can see: ${organizations.join(', ') || 'none'}). Check the \`organization\` input.`
    )
  }
  const grants = request.accesses ?? grantsFromAccesses(oldToken?.service_token_accesses ?? [], request.tokenId ?? '')
  if (grants.length === 0) {
    throw new RotationError(
      `The token ${request.tokenId} has no accesses to copy, so its replacement would be useless. ` +
        'Give them with the `accesses` input.'
    )
  }
  if (ownToken) {
    const own = accessKeys(grantsFromAccesses(ownToken.service_token_accesses ?? [], ownToken.id))
    const { missing } = diffAccessSets(accessKeys(grants), own)
    if (missing.length > 0) {
      log.warning(
        `The action's token ${ownToken.id} does not hold ${missing.join(', ')}; ` +
          'PlanetScale only lets a token grant accesses it holds, so granting may fail.'
      )
    }
  }
  return { oldToken, grants, targets }
}
