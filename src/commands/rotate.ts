import type { Config } from '../config.js'
import { runSummary } from '../report/run-summary.js'
import { targetsWritten, type RunReport } from '../rotation/report.js'
import { rotate } from '../rotation/rotate.js'
import { createToken } from '../rotation/create.js'
import type { CommandDeps, CommandResult } from './io.js'

export async function rotateCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  return finish(await rotate(deps, config), config, deps)
}

export async function createCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  return finish(await createToken(deps, config), config, deps)
}

async function finish(report: RunReport, config: Config, deps: CommandDeps): Promise<CommandResult> {
  const { io } = deps
  io.setOutput('token-id', report.newToken?.id ?? '')
  if (report.command === 'rotate') {
    io.setOutput('previous-token-id', report.previousToken?.id ?? '')
    io.setOutput('rotated', String(report.rotated))
    io.setOutput('previous-token-deleted', String(report.previousTokenDeleted))
  }
  io.setOutput('expires-at', report.newToken?.expiresAt ?? '')
  io.setOutput('targets-written', String(targetsWritten(report)))
  await io.appendSummary(runSummary(report, config))
  if (report.problems.length === 0) return {}
  return { failure: report.problems.join('\n') }
}
