// The job summary: appended to the file the runner names in GITHUB_STEP_SUMMARY, read from the
// environment the action was given (not process.env), so that tests and runs outside GitHub
// decide where it goes.
import { appendFile } from 'node:fs/promises'
import type { Command } from '../inputs/config.js'

/** One title per command, the same whether the run succeeds or fails. */
export const SUMMARY_TITLES: Record<Command, string> = {
  rotate: 'PlanetScale service token rotation',
  create: 'PlanetScale service token creation',
  'job-token': 'PlanetScale token for this job',
  list: 'PlanetScale service tokens',
  delete: 'PlanetScale service token deletion',
  audit: 'PlanetScale service token audit'
}

export type AppendSummary = (markdown: string) => Promise<void>

export function jobSummaryWriter(env: Record<string, string | undefined>): AppendSummary {
  const path = env.GITHUB_STEP_SUMMARY
  return async (markdown) => {
    if (path) await appendFile(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`, 'utf8')
  }
}
