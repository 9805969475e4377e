// Names of the GitHub secrets the new pair is written to.
import { InputError } from '../errors.js'
import { quote } from './text.js'

export const DEFAULT_ID_SECRET_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
export const DEFAULT_TOKEN_SECRET_NAME = 'PLANETSCALE_SERVICE_TOKEN'

export function parseSecretName(input: string, raw: string, fallback: string): string {
  const name = raw.trim() === '' ? fallback : raw.trim()
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InputError(
      input,
      `${quote(name)} is not a valid secret name: ` +
        `use letters, digits and _, not starting with a digit, e.g. "${fallback}"`
    )
  }
  if (/^GITHUB_/i.test(name)) {
    throw new InputError(input, `${quote(name)} is not allowed: GitHub reserves secret names starting with GITHUB_`)
  }
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
