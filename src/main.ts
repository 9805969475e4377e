// Wiring: read inputs, build the real clients, run the command, report. One top-level catch.
import * as core from '@actions/core'
import { createDeps } from './wiring.js'
import { parseInputs } from './inputs.js'
import { errorMessage } from './errors.js'
import type { Command, Config } from './config.js'
import type { CommandDeps, CommandResult } from './commands/io.js'
import { createCommand, rotateCommand } from './commands/rotate.js'
import { listCommand } from './commands/list.js'
import { deleteCommand } from './commands/delete.js'
import { failureSummary } from './report/run-summary.js'

const COMMANDS: Record<Command, (config: Config, deps: CommandDeps) => Promise<CommandResult>> = {
  rotate: rotateCommand,
  create: createCommand,
  list: listCommand,
  delete: deleteCommand
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Mask the credentials we were given before anything can print them.
  for (const name of ['service-token', 'github-token']) {
    const value = core.getInput(name)
    if (value) core.setSecret(value)
  }
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) core.warning(`${signal} received: finishing the pair in flight, then stopping.`)
    cancel.abort(new Error(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  let command = 'run'
  try {
    const config = parseInputs((name) => core.getInput(name), env, new Date())
    command = config.command
    const deps = createDeps(config, cancel.signal, env)
    const result = await COMMANDS[config.command](config, deps)
    if (result.failure) core.setFailed(result.failure)
    else if (cancel.signal.aborted) core.setFailed('The run was cancelled.')
  } catch (error) {
    const message = errorMessage(error)
    core.setFailed(message)
    await writeSummary(failureSummary(command, message))
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`)
  }
}
