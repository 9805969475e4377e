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
 * The runner's variables that parseInputs reads, as the context gives them. Those the context
 * does not know are left as the environment has them.
 */
export function withRunContext(
  env: Record<string, string | undefined>,
  run: RunContext | undefined
): Record<string, string | undefined> {
  if (run === undefined) return env
  return {
    ...env,
    ...(run.repository !== undefined && { GITHUB_REPOSITORY: run.repository }),
    ...(run.runId !== undefined && { GITHUB_RUN_ID: run.runId }),
    ...(run.runAttempt !== undefined && { GITHUB_RUN_ATTEMPT: run.runAttempt }),
    GITHUB_SERVER_URL: run.serverUrl
  }
}
