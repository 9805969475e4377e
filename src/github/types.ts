// The secrets side of the protocol: a target made ready by the check step, and the API that prepares it.
import type { TargetSpec } from '../inputs/targets.js'
import type { ShadowCheck } from './shadowing.js'

/**
 * A target after the check step: its public key is fetched and (for organizations)
 * the visibility each secret will be written with is settled. Writing only seals and PUTs.
 */
export interface PreparedTarget {
  readonly spec: TargetSpec
  /** Seal `value` with the target's public key and PUT it. */
  writeSecret(name: string, value: string, signal?: AbortSignal): Promise<'created' | 'updated'>
}

export interface SecretsApi {
  /**
   * Fetch the target's public key and, for organization targets, read the current
   * visibility (and selected repositories) of each named secret, or resolve the ones
   * the target line names. Read-only.
   */
  prepare(spec: TargetSpec, secretNames: readonly string[]): Promise<PreparedTarget>
  /**
   * Same-named secrets at scopes that override the targets' (an environment's over its repository's,
   * a repository's over its organization's) that this run does not write: names and times, never
   * values. Read-only; a list it cannot read is reported as not checked, never thrown.
   */
  findShadowedCopies(targets: readonly TargetSpec[], secretNames: readonly string[]): Promise<ShadowCheck>
}
