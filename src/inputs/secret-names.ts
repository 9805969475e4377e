// Names of the GitHub secrets the new pair is written to (and of the journal's variable,
// which GitHub names by the same rule).
import { InputError } from '../errors.js'
import { quote } from './text.js'

export const DEFAULT_ID_SECRET_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const DEFAULT_TOKEN_SECRET_NAME = 'PLANETSCALE_SERVICE_TOKEN'

/**
 * GitHub's rule for secret and configuration variable names. Returns the problem, or undefined.
 * @param what how the name is called in the message: "secret name" or "variable name"
 * @param example a valid name to suggest
 */
export function secretNameProblem(name: string, what: string, example: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return (
      `${quote(name)} is not a valid ${what}: ` +
      `use letters, digits and _, not starting with a digit, e.g. "${example}"`
    )
  }
  if (/^GITHUB_/i.test(name)) {
    return `${quote(name)} is not allowed: GitHub reserves ${what}s starting with GITHUB_`
  }
  return undefined
}

export function parseSecretName(input: string, raw: string, fallback: string): string {
  const name = raw.trim() === '' ? fallback : raw.trim()
  const problem = secretNameProblem(name, 'secret name', fallback)
  if (problem !== undefined) throw new InputError(input, problem)
  return name
}

/** Both names land in the same store; GitHub compares them case-insensitively. */
export function checkDistinctSecretNames(idSecretName: string, tokenSecretName: string): void {
  if (idSecretName.toUpperCase() === tokenSecretName.toUpperCase()) {
    throw new InputError(
      'token-secret-name',
      `${quote(tokenSecretName)} is the same secret as id-secret-name ${quote(idSecretName)} ` +
        '(GitHub secret names are case-insensitive): the token would overwrite the ID; choose two different names'
    )
  }
}
