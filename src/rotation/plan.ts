// The plan a dry run prints.
import type { PreparedTarget } from '../types.js'

export function describeTargets(
  targets: readonly PreparedTarget[],
  names: { idSecretName: string; tokenSecretName: string; tokenName: string }
): string[] {
  return [
    `Plan: create a token named "${names.tokenName}" with the accesses above, test it, then write`,
    ...targets.map((t) => `  ${names.idSecretName} and ${names.tokenSecretName} to ${t.spec.label}`)
  ]
}
