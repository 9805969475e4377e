import { InputError } from '../errors.js'
import { quote } from './text.js'

// The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
const TRUE = ['true', 'True', 'TRUE']
const FALSE = ['false', 'False', 'FALSE']

/** The boolean a trimmed value spells, or undefined when it spells none. */
export function booleanValue(value: string): boolean | undefined {
  if (TRUE.includes(value)) return true
  if (FALSE.includes(value)) return false
  return undefined
}

export function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim()
  if (value === '') return fallback
  const parsed = booleanValue(value)
  if (parsed !== undefined) return parsed
  throw new InputError(input, `${quote(value)} is not a boolean: use true or false (also True, TRUE, False, FALSE)`)
}
