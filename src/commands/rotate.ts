// `rotate` and `create`: the protocol, then its outputs and job summary.
import type { Config } from '../inputs/config.js'
import { runOutputs } from '../report/outputs.js'
import { runSummary } from '../report/summaries.js'
import { failureLines, type RunReport } from '../rotation/7-report.js'
import { create, rotate } from '../rotation/protocol.js'
import type { CommandDeps, CommandResult } from './index.js'

export async function rotateCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  return finish(await rotate(deps, config), config, deps)
}

export async function createCommand(config: Config, deps: CommandDeps): Promise<CommandResult> {
  return finish(await create(deps, config), config, deps)
}

async function finish(report: RunReport, config: Config, deps: CommandDeps): Promise<CommandResult> {
  for (const [name, value] of Object.entries(runOutputs(report))) deps.io.setOutput(name, value)
  await deps.io.appendSummary(runSummary(report, config))
  const failure = failureLines(report)
  return failure.length === 0 ? {} : { failure: failure.join('\n') }
}
