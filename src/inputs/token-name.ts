// `token-name`: the name given to a new token, with placeholders filled in.
import { InputError } from '../errors.js'
import { quote } from './text.js'

export const DEFAULT_TOKEN_NAME = 'github-actions/{repository}/{date}'
export const MAX_TOKEN_NAME_LENGTH = 255

export interface TokenNameValues {
  date: string
  repository: string
  run_id: string
  run_attempt: string
}

export function fillTokenName(raw: string, values: TokenNameValues): string {
  const template = raw.trim() === '' ? DEFAULT_TOKEN_NAME : raw.trim()
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(template)) {
    throw new InputError('token-name', `${quote(template)} must be a single line without control characters`)
  }
  const name = template.replace(/\{([^{}]*)\}/g, (placeholder, key: string) => {
    if (!Object.hasOwn(values, key)) {
      throw new InputError(
        'token-name',
        `unknown placeholder ${quote(placeholder)} in ${quote(template)}: ` +
          'use {date}, {repository}, {run_id} or {run_attempt}'
      )
    }
    return values[key as keyof TokenNameValues]
  })
  if (name.length > MAX_TOKEN_NAME_LENGTH) {
    throw new InputError(
      'token-name',
      `${quote(template)} is ${name.length} characters long once filled in: at most ${MAX_TOKEN_NAME_LENGTH}`
    )
  }
  return name
}
