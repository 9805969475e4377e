// Random identifiers shaped like the real services' ones.
import { randomBytes, randomInt } from 'node:crypto'

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomString(alphabet: string, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)]
  return out
}

/** PlanetScale object IDs: 12 lowercase letters and digits. */
export function planetscaleId(): string {
  return randomString(LOWER_ALNUM, 12)
}

/** `pscale_tkn_` + 43 characters (32 random bytes, base64url). */
export function planetscaleSecret(): string {
  return `pscale_tkn_${randomBytes(32).toString('base64url')}`
}

/** A secret with no known prefix: 40 hex digits, as in planetscale-go's fixtures. */
export function hexSecret(): string {
  return randomBytes(20).toString('hex')
}

/** A GitHub App installation token lookalike. */
export function githubToken(): string {
  return `ghs_${randomString(ALNUM, 36)}`
}

/** GitHub public key IDs are opaque numeric strings (~18 digits). */
export function githubKeyId(): string {
  return `${randomInt(1, 10)}${randomString('0123456789', 17)}`
}
