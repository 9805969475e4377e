// The commands, one file each, and what they need from the runner besides the protocol's ports.
import type { Command, Config } from '../inputs/config.js'
import type { AppendSummary } from '../report/job-summary.js'
import type { ProtocolDeps } from '../rotation/ports.js'
import { auditCommand } from './audit.js'
import { deleteCommand } from './delete.js'
import { jobTokenCommand } from './job-token.js'
import { listCommand } from './list.js'
import { createCommand, rotateCommand } from './rotate.js'

/** How commands talk to the runner: outputs and the job summary. */
export interface CommandIO {
  setOutput(name: string, value: string): void
  /** An output whose value is a secret (masked in the log, not redacted): only `job-token`'s `token`. */
  setSecretOutput(name: string, value: string): void
  /** An environment variable for the job's later steps (`GITHUB_ENV`). */
  exportVariable(name: string, value: string): void
  /** A value for the post step (`GITHUB_STATE`). */
  saveState(name: string, value: string): void
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
  'job-token': jobTokenCommand,
  list: listCommand,
  delete: deleteCommand,
  audit: auditCommand
}
