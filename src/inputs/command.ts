import { COMMANDS, type Command } from './config.js'
import { InputError } from '../errors.js'
import { quote } from './text.js'

export function parseCommand(raw: string): Command {
  const value = raw.trim()
  if (value === '') return 'rotate'
  const command = COMMANDS.find((candidate) => candidate === value)
  if (command === undefined) {
    throw new InputError('command', `unknown command ${quote(value)}: expected one of ${COMMANDS.join(', ')}`)
  }
  return command
}
