// Secret inputs. Their values never appear in a message, whatever is wrong with them.
import { InputError } from '../errors.js'
import { characterKind, firstCharacterNot, isControlCharacter } from './text.js'

const CHECK = 'check that the secret holds only the token'

/**
 * Tokens are printable ASCII. Anything else is refused here, by position and kind only, never by
 * value: a CR or LF would end the HTTP header the token is sent in and start another one.
 */
function secretValue(input: string, raw: string, missing: string): string {
  const value = raw.trim()
  if (value === '') throw new InputError(input, missing)
  const bad = firstCharacterNot(value, (character) => /^[\u0021-\u007e]$/.test(character))
  if (bad === undefined) return value
  const kind = characterKind(bad.character)
  const at = `at position ${bad.position} (the value is not shown)`
  if (isControlCharacter(bad.character)) {
    const which = kind === 'a control character' ? '' : ` (${kind})`
    throw new InputError(
      input,
      `contains a control character${which} ${at}: ` +
        `it would break the HTTP header the token is sent in; ${CHECK}, on one line`
    )
  }
  if (/^\s$/.test(bad.character)) throw new InputError(input, `contains whitespace (${kind}) ${at}: ${CHECK}`)
  throw new InputError(
    input,
    `contains ${kind} ${at}: tokens are plain ASCII; ${CHECK} (copied as plain text, not through a document)`
  )
}

export function parseServiceToken(raw: string): string {
  return secretValue(
    'service-token',
    raw,
    'is required: pass the service token secret from a secret, e.g. "${{ secrets.PLANETSCALE_SERVICE_TOKEN }}"'
  )
}

export function parseGithubToken(raw: string): string {
  return secretValue(
    'github-token',
    raw,
    "is required to write the targets' secrets. The workflow's GITHUB_TOKEN cannot write secrets: " +
      'use a GitHub App installation token (actions/create-github-app-token with permission-secrets: write) ' +
      'or a fine-grained personal access token with "Secrets: write"'
  )
}
