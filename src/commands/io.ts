// How commands talk to the runner: outputs and the job summary.
import type { ProtocolDeps } from '../rotation/deps.js'

export interface CommandIO {
  setOutput(name: string, value: string): void
  appendSummary(markdown: string): Promise<void>
}

export interface CommandDeps extends ProtocolDeps {
  io: CommandIO
}

/** A failed command: the message goes to core.setFailed, after outputs and summary are written. */
export interface CommandResult {
  failure?: string
}
