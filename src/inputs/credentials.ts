// Secret inputs. Their values never appear in a message, whatever is wrong with them.
import { InputError } from '../errors.js'
import { hasWhitespace } from './text.js'

function secretValue(input: string, raw: string, missing: string): string {
  const value = raw.trim()
  if (value === '') throw new InputError(input, missing)
  // A line break or space inside would end up in an HTTP header; it is a copy-paste accident.
  if (hasWhitespace(value)) {
    throw new InputError(
      input,
      'contains whitespace (the value is not shown): check that the secret holds only the token'
    )
  }
  return value
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
