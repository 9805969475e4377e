// The run as the runner describes it, through @actions/github's context: which repository,
// which workflow run and attempt, and the server's URL (GHES has its own). The context reads
// the runner's variables (and the event payload, for the repository) when the bundle loads.
import { context } from '@actions/github'
import type { RunContext } from './run-env.js'

type ContextView = Pick<typeof context, 'runId' | 'runAttempt' | 'serverUrl'> & {
  readonly repo: { owner: string; repo: string }
}

export function runContext(from: ContextView = context): RunContext {
  let repository: string | undefined
  try {
    const { owner, repo } = from.repo
    repository = owner && repo ? `${owner}/${repo}` : undefined
  } catch {
    // Neither GITHUB_REPOSITORY nor an event payload with a repository: not on a runner.
    repository = undefined
  }
  const number = (value: number) => (Number.isInteger(value) && value > 0 ? String(value) : undefined)
  return {
    repository,
    runId: number(from.runId),
    runAttempt: number(from.runAttempt),
    serverUrl: from.serverUrl.replace(/\/+$/, '')
  }
}
