// Steps 2–4, a new token: create it, grant it its accesses, prove it works. On any failure the
// new token is deleted again (discarded), so nothing is left behind and no secret has been touched.
import { GrantRefusedError, PlanetScaleError, RotationError, allOrReport, errorMessage } from '../errors.js'
import type { CreatedToken, Credentials, Grant, PlanetScaleApi } from '../planetscale/types.js'
import { accessKeys, describeDiff, diffAccessSets, grantsFromAccesses } from './accesses.js'
import type { ProtocolDeps } from './ports.js'

export interface NewTokenRequest {
  name: string
  ttlSeconds: number | undefined
  grants: Grant[]
  /**
   * Checked in parallel with the test: the token being replaced must still exist (a concurrent
   * run would have deleted it).
   */
  replacing?: string
  /** Runs first once the token exists (the journal records its ID); a failure discards the token. */
  onCreated?: (created: CreatedToken) => Promise<void>
}

export async function newToken(deps: ProtocolDeps, request: NewTokenRequest): Promise<CreatedToken> {
  const { planetscale, log } = deps
  // A create whose answer was lost is cleaned up by the client itself (it alone knows the request's time).
  const created = await planetscale.createToken({ name: request.name, ttlSeconds: request.ttlSeconds })
  log.info(
    `Created token ${created.id} (${request.name}), ` +
      `${created.expires_at ? `expires ${created.expires_at}` : 'no expiry'}.`
  )
  try {
    await request.onCreated?.(created)
    await grantAll(planetscale, created.id, request.grants)
    log.info(`Granted ${request.grants.length} access group(s) to ${created.id}.`)
    await allOrReport('Testing the new token failed', [
      verify(deps, { id: created.id, token: created.token }, request.grants),
      request.replacing === undefined ? Promise.resolve() : stillExists(deps, request.replacing)
    ] as const)
  } catch (error) {
    const deleted = await discard(deps, created.id, 'its set-up failed')
    throw new RotationError(
      `${errorMessage(error)}\n` +
        (deleted
          ? `The new token ${created.id} was deleted again; no secret was changed.`
          : undeletedAdvice(created.id))
    )
  }
  return created
}

/**
 * One grant per resource, in parallel. PlanetScale refusing the grant endpoint itself refuses
 * every grant alike: that is said once, not once per resource.
 */
async function grantAll(planetscale: PlanetScaleApi, id: string, grants: readonly Grant[]): Promise<void> {
  const requests = grants.map((grant) => planetscale.grantAccess(id, grant))
  try {
    await allOrReport('Granting accesses failed', requests)
  } catch (error) {
    // allOrReport waited for every request: these have all settled.
    const failures = (await Promise.allSettled(requests)).flatMap((s) => (s.status === 'rejected' ? [s.reason] : []))
    const refusal: unknown = failures.find((f) => f instanceof GrantRefusedError)
    if (refusal === undefined) throw error
    const others = failures.filter((f) => !(f instanceof GrantRefusedError))
    if (others.length === 0) throw refusal
    throw new RotationError(
      `${errorMessage(refusal)}\nOther grants failed too:\n${others.map((f) => `- ${errorMessage(f)}`).join('\n')}`
    )
  }
}

/** For the failure message when a token this run created could not be deleted again. */
export function undeletedAdvice(id: string): string {
  return (
    `Deleting the new token ${id} again failed; no target uses it: ` +
    `delete it with \`command: delete\` and \`token-id: ${id}\`.`
  )
}

/** Deletes a token this run created, with the action's own credentials. Never throws: it reports. */
export async function discard(deps: ProtocolDeps, id: string, why: string): Promise<boolean> {
  try {
    await deps.planetscale.deleteToken(id)
    deps.log.info(`Deleted the new token ${id} because ${why}; no secret was changed by it.`)
    return true
  } catch (error) {
    deps.log.warning(`Could not delete the new token ${id}: ${errorMessage(error)}`)
    return false
  }
}

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
        deps.log.info(
          `The new token ${credentials.id} authenticates and holds exactly the intended ${intended.size} access(es).`
        )
        return
      }
      problem = `its accesses differ from the intended ones: ${describeDiff(diff)}`
    } catch (error) {
      if (error instanceof PlanetScaleError && error.status === 422) throw error
      problem = errorMessage(error)
    }
    // The runner kills the process a few seconds after a cancellation: stop testing, so that the
    // new token is deleted again in time.
    if (deps.cancel.aborted)
      throw new RotationError(`The run was cancelled while the new token ${credentials.id} was being tested.`)
    if (deps.now().getTime() + delay > deadline) {
      throw new RotationError(`The new token ${credentials.id} failed its test after ${attempt} attempt(s): ${problem}`)
    }
    deps.log.info(`The new token is not ready yet (attempt ${attempt}): ${problem}. Retrying in ${delay} ms.`)
    await deps.sleep(delay)
    delay = Math.min(delay * 2, 5000)
  }
}
