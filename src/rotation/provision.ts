// Steps 2–4: create a token, grant it its accesses, prove it works. On any failure the new
// token is deleted again, so nothing is left behind and no secret has been touched.
import { PlanetScaleError, RotationError, errorMessage } from '../errors.js'
import type { CreatedToken, Credentials, Grant } from '../types.js'
import { accessKeys, describeDiff, diffAccessSets, grantsFromAccesses } from './accesses.js'
import type { ProtocolDeps } from './deps.js'
import { allOrReport } from './parallel.js'

export interface ProvisionRequest {
  name: string
  ttlSeconds: number | undefined
  grants: Grant[]
  /** Checked in parallel with the test: the token being replaced must still exist (a concurrent run would have deleted it). */
  replacing?: string
}

export async function provision(deps: ProtocolDeps, request: ProvisionRequest): Promise<CreatedToken> {
  const { planetscale, log } = deps
  const startedAt = deps.now().getTime()
  let created: CreatedToken
  try {
    created = await planetscale.createToken({ name: request.name, ttlSeconds: request.ttlSeconds })
  } catch (error) {
    if (createMayHaveHappened(error)) await discardLostCreate(deps, request.name, startedAt)
    throw error
  }
  log.info(`Created token ${created.id} (${request.name}), ${created.expires_at ? `expires ${created.expires_at}` : 'no expiry'}.`)
  try {
    await allOrReport(
      'Granting accesses failed',
      request.grants.map((grant) => planetscale.grantAccess(created.id, grant))
    )
    log.info(`Granted ${request.grants.length} access group(s) to ${created.id}.`)
    await allOrReport('Testing the new token failed', [
      verify(deps, { id: created.id, token: created.token }, request.grants),
      request.replacing === undefined ? Promise.resolve() : stillExists(deps, request.replacing)
    ] as const)
  } catch (error) {
    await discard(deps, created.id, 'its set-up failed')
    throw error
  }
  return created
}

/** Deletes a token this run created, with the action's own credentials. Never throws: it reports. */
export async function discard(deps: ProtocolDeps, id: string, why: string): Promise<boolean> {
  try {
    await deps.planetscale.deleteToken(id)
    deps.log.info(`Deleted the new token ${id} because ${why}; no secret was changed by it.`)
    return true
  } catch (error) {
    deps.log.warning(
      `Could not delete the new token ${id} (${errorMessage(error)}). No target uses it: delete it with \`command: delete\` and \`token-id: ${id}\`.`
    )
    return false
  }
}

/** A refusal (4xx) or an answer that says the server did nothing (429, 503) is certain; anything else is not. */
function createMayHaveHappened(error: unknown): boolean {
  if (!(error instanceof PlanetScaleError)) return true
  const status = error.status
  if (status === undefined) return true
  return !((status >= 400 && status < 500) || status === 503)
}

/**
 * The create may have reached PlanetScale even though its answer was lost. Such a token has no
 * known secret, so no target can ever use it: find it by its name and age, and delete it.
 */
async function discardLostCreate(deps: ProtocolDeps, name: string, startedAt: number): Promise<void> {
  try {
    const tokens = await deps.planetscale.listTokens()
    const lost = tokens.filter((t) => t.name === name && Date.parse(t.created_at) >= startedAt - CLOCK_SKEW_MS)
    for (const token of lost) await discard(deps, token.id, 'its creation was answered with an error')
  } catch (error) {
    deps.log.warning(`Could not check for a token created despite the error (${errorMessage(error)}): look for "${name}" with \`command: list\`.`)
  }
}

const CLOCK_SKEW_MS = 5 * 60_000

async function stillExists(deps: ProtocolDeps, id: string): Promise<void> {
  try {
    await deps.planetscale.getToken(id)
  } catch (error) {
    if (error instanceof PlanetScaleError && error.status === 404) {
      throw new RotationError(
        `The token ${id} disappeared while this run was rotating it: another rotation probably ran at the same time. ` +
          'No secret was changed by this run. Give the rotation workflow a `concurrency:` group so runs do not overlap.'
      )
    }
    throw error
  }
}

/**
 * As the new token: authenticate, then read its record and compare accesses. A new token can
 * take a moment to become usable, so failures are retried with backoff until verifyTimeoutMs.
 */
async function verify(deps: ProtocolDeps, credentials: Credentials, grants: Grant[]): Promise<void> {
  const intended = accessKeys(grants)
  const asNew = deps.planetscaleAs(credentials)
  // A token without read_service_tokens cannot read its own record; the action's token reads it then.
  const reader = intended.has('organization:read_service_tokens') ? asNew : deps.planetscale
  const deadline = deps.now().getTime() + deps.verifyTimeoutMs
  let delay = 250
  for (let attempt = 1; ; attempt++) {
    let problem: string
    try {
      const [, record] = await Promise.all([asNew.listOrganizations(), reader.getToken(credentials.id)])
      const actual = accessKeys(grantsFromAccesses(record.service_token_accesses ?? [], credentials.id))
      const diff = diffAccessSets(intended, actual)
      if (diff.missing.length === 0 && diff.unexpected.length === 0) {
        deps.log.info(`The new token ${credentials.id} authenticates and holds exactly the intended ${intended.size} access(es).`)
        return
      }
      problem = `its accesses differ from the intended ones: ${describeDiff(diff)}`
    } catch (error) {
      if (error instanceof PlanetScaleError && error.status === 422) throw error
      problem = errorMessage(error)
    }
    if (deps.now().getTime() + delay > deadline) {
      throw new RotationError(`The new token ${credentials.id} failed its test after ${attempt} attempt(s): ${problem}`)
    }
    deps.log.info(`The new token is not ready yet (attempt ${attempt}): ${problem}. Retrying in ${delay} ms.`)
    await deps.sleep(delay)
    delay = Math.min(delay * 2, 5000)
  }
}
