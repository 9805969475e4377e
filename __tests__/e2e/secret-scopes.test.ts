// GitHub's secret scopes as they meet a rotation, from the bundle against the emulator: copies at
// an overriding scope that the run does not write (shadowed copies: warned, never a failure), and a
// server without Dependabot (refused in the check step, before any change, saying so).
import { describe, expect, test } from '@jest/globals'
import {
  ID_NAME,
  TOKEN_NAME,
  annotations,
  failure,
  findLeaks,
  heldPair,
  invariantViolations,
  runAction,
  scenarios,
  summaryTargetRows,
  writes,
  type Scenario
} from './harness.js'

const scenario = scenarios()
const PROD = 'environment:acme/api/production'

/** The production environment of acme/api has its own copy of the pair (as a team might have set by hand). */
function seedProductionCopy(s: Scenario): void {
  s.emu.github.putSecretPlain(PROD, ID_NAME, s.token.id)
  s.emu.github.putSecretPlain(PROD, TOKEN_NAME, s.token.token)
}

const shadowWarnings = (run: { stdout: string }) =>
  annotations(run, 'warning').filter((w) => w.startsWith('Shadowed copy: '))

describe('shadowed copies', () => {
  test('an environment secret of the same name: warned in the log and the summary; the run succeeds', async () => {
    const s = await scenario()
    seedProductionCopy(s)
    const run = await runAction(s.inputs, { env: s.env })

    expect(annotations(run, 'error')).toEqual([])
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ rotated: 'true', 'targets-written': '1' })
    expect(shadowWarnings(run)).toEqual([
      expect.stringMatching(
        /^Shadowed copy: environment:acme\/api\/production has its own PLANETSCALE_SERVICE_TOKEN_ID and PLANETSCALE_SERVICE_TOKEN \(last written [\d-]+T[\d:]+Z\), which jobs that use that environment read instead of what this run writes to repo:acme\/api\./
      )
    ])
    expect(run.summary).toContain('### Shadowed copies')
    expect(run.summary).toMatch(
      /\| environment:acme\/api\/production \| `PLANETSCALE_SERVICE_TOKEN_ID`, `PLANETSCALE_SERVICE_TOKEN` \| repo:acme\/api \|/
    )
    // The Targets table is untouched by the new section.
    expect(summaryTargetRows(run.summary).map((r) => r.target)).toEqual(['repo:acme/api'])
    // Left as it was: the copy still holds the old pair (the warning's point).
    expect(heldPair(s, PROD)).toEqual({ id: s.token.id, token: s.token.token })
    expect(heldPair(s, 'repo:acme/api').id).toBe(run.outputs['token-id'])
    // Names only: the lists' answers never carry a value, and nothing leaks.
    const lists = s.emu.log.filter((e) => e.method === 'GET' && /\/environments(\/[^/]+\/secrets)?$/.test(e.path))
    expect(lists.map((e) => e.path).sort()).toEqual([
      '/repos/acme/api/environments',
      '/repos/acme/api/environments/production/secrets',
      '/repos/acme/api/environments/staging/secrets'
    ])
    expect(invariantViolations(s)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })

  test('the environment is itself a target: both written, no warning', async () => {
    const s = await scenario({ targets: ['repo:acme/api', PROD] })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(0)
    expect(annotations(run, 'warning')).toEqual([])
    expect(run.summary).not.toContain('Shadowed copies')
    expect(heldPair(s, PROD).id).toBe(run.outputs['token-id'])
    expect(heldPair(s, 'repo:acme/api').id).toBe(run.outputs['token-id'])
    // The target's own secrets are written, not listed.
    expect(s.emu.log.some((e) => e.path === '/repos/acme/api/environments/production/secrets')).toBe(false)
    expect(invariantViolations(s)).toEqual([])
  })

  test('a github-token that cannot read the environments’ secrets: a note, not a warning; the run succeeds', async () => {
    const s = await scenario()
    seedProductionCopy(s)
    s.emu.github.addToken('ghs_repoSecretsOnly000000000000000001', { scopes: ['repo:acme/api'] })
    const run = await runAction(
      { ...s.inputs, 'github-token': 'ghs_repoSecretsOnly000000000000000001' },
      { env: s.env }
    )
    expect(run.code).toBe(0)
    expect(annotations(run, 'warning')).toEqual([])
    expect(run.stdout).toContain(
      'Could not check for shadowing copies at environment:acme/api/production, environment:acme/api/staging ' +
        '(the github-token cannot read them).'
    )
    expect(invariantViolations(s)).toEqual([])
  })

  test('a list GitHub keeps failing: warned that it was not checked; the run still succeeds', async () => {
    const s = await scenario()
    s.emu.addFault({
      api: 'github',
      method: 'GET',
      path: '/repos/acme/api/environments',
      times: Infinity,
      response: { status: 502, body: { message: 'Bad Gateway' } }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(0)
    expect(annotations(run, 'warning')).toEqual([
      'Could not check for shadowing copies at the environments of acme/api (HTTP 502 "Bad Gateway").'
    ])
    expect(run.summary).toContain('- Could not check for shadowing copies at the environments of acme/api')
    expect(invariantViolations(s)).toEqual([])
  })
})

describe('a GitHub Enterprise Server without Dependabot', () => {
  test('a dependabot: target is refused in the check step, saying why and what to do; nothing changes', async () => {
    const s = await scenario({ targets: ['repo:acme/api', 'dependabot:acme/api'] })
    s.emu.github.setDependabot(false)
    const tokens = s.emu.planetscale.tokens('acme').map((t) => t.id)
    const run = await runAction(s.inputs, { env: s.env })

    expect(run.code).toBe(1)
    expect(failure(run)).toMatch(
      /dependabot:acme\/api: read public key failed \(HTTP 404 "Not Found"\)\. Dependabot secrets are not available for repository acme\/api on this GitHub server: .*as on a GitHub Enterprise Server without Dependabot\. Remove the dependabot:acme\/api line from `targets`/
    )
    expect(run.summary).toContain('**Failed**: no secret was changed.')
    // Refused before any change: no token made, no secret or journal written.
    expect(writes(s.emu)).toEqual([])
    expect(s.emu.planetscale.tokens('acme').map((t) => t.id)).toEqual(tokens)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})
