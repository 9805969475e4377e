// The run as the runner describes it (src/github/context.ts reads it through @actions/github),
// turned into the variables parseInputs reads. Kept apart from context.ts so that main.ts can
// use it without loading @actions/github.

export interface RunContext {
  /** `OWNER/REPO`, or undefined off a runner. */
  repository: string | undefined
  runId: string | undefined
  runAttempt: string | undefined
  /** e.g. https://github.com, or the GHES server's URL. */
  serverUrl: string
}

/**
 * The runner's variables that parseInputs reads, with the gaps filled from the context (the
 * event payload's repository, the default server URL). What the environment given to the run
 * says wins: it is what the runner set, and what a test passes in.
 */
export function withRunContext(
  env: Record<string, string | undefined>,
  run: RunContext | undefined
): Record<string, string | undefined> {
  if (run === undefined) return env
  const fill = (name: string, value: string | undefined) => (env[name]?.trim() ? {} : value ? { [name]: value } : {})
  return {
    ...env,
    ...fill('GITHUB_REPOSITORY', run.repository),
    ...fill('GITHUB_RUN_ID', run.runId),
    ...fill('GITHUB_RUN_ATTEMPT', run.runAttempt),
    ...fill('GITHUB_SERVER_URL', run.serverUrl)
  }
}
