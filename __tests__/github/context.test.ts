// The run as @actions/github's context describes it, and what parseInputs then reads.
import { expect, test } from '@jest/globals'
import { runContext } from '../../src/github/context.js'
import { withRunContext } from '../../src/github/run-env.js'

const view = (repo: (() => { owner: string; repo: string }) | undefined, runId: number, runAttempt: number) => ({
  get repo() {
    if (!repo) throw new Error("context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'")
    return repo()
  },
  runId,
  runAttempt,
  serverUrl: 'https://ghe.example/'
})

test('on a runner: repository, run, attempt and server come from the context where the environment is silent', () => {
  const run = runContext(view(() => ({ owner: 'acme', repo: 'api' }), 4242, 3))
  expect(run).toEqual({ repository: 'acme/api', runId: '4242', runAttempt: '3', serverUrl: 'https://ghe.example' })
  // The environment given to the run wins; the context fills its gaps.
  expect(withRunContext({ GITHUB_RUN_ID: '4243', PSCALE_ACTION_X: '1' }, run)).toEqual({
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_RUN_ID: '4243',
    GITHUB_RUN_ATTEMPT: '3',
    GITHUB_SERVER_URL: 'https://ghe.example',
    PSCALE_ACTION_X: '1'
  })
})

test('off a runner: what the context does not know stays as the environment has it', () => {
  // The context parses a missing GITHUB_RUN_ID as NaN and throws for a missing repository.
  const run = runContext(view(undefined, Number.NaN, Number.NaN))
  expect(run).toEqual({
    repository: undefined,
    runId: undefined,
    runAttempt: undefined,
    serverUrl: 'https://ghe.example'
  })
  expect(withRunContext({ GITHUB_REPOSITORY: 'x/y' }, run)).toEqual({
    GITHUB_REPOSITORY: 'x/y',
    GITHUB_SERVER_URL: 'https://ghe.example'
  })
})
