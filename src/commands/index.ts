// The commands, one file each, and what they need from the runner besides the protocol's ports.
import type { Command, Config } from '../inputs/config.js'
import type { AppendSummary } from '../report/job-summary.js'
import type { ProtocolDeps } from '../rotation/ports.js'
import { deleteCommand } from './delete.js'
import { listCommand } from './list.js'
import { createCommand, rotateCommand } from './rotate.js'

/** How commands talk to the runner: outputs and the job summary. */
export interface CommandIO {
  setOutput(name: string, value: string): void
  appendSummary: AppendSummary
}

export interface CommandDeps extends ProtocolDeps {
  io: CommandIO
}

/** A failed command: the message goes to core.setFailed, after outputs and summary are written. */
export interface CommandResult {
  failure?: string
}

export type CommandHandler = (config: Config, deps: CommandDeps) => Promise<CommandResult>

export const HANDLERS: Record<Command, CommandHandler> = {
  rotate: rotateCommand,
  create: createCommand,
  list: listCommand,
  delete: deleteCommand
}
