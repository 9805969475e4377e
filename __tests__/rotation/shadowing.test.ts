// Shadowed copies through the protocol, in process: the check step warns about a same-named copy
// at an overriding scope (log, report, summary, dry-run plan) and the run goes on; a copy this run
// writes is no copy; a list the github-token cannot read is a note. No token value in any of it.
import { describe, expect, test } from '@jest/globals'
import { runSummary } from '../../src/report/summaries.js'
import { rotate } from '../../src/rotation/protocol.js'
import { ID_NAME, TOKEN_NAME, leaks, scenario, type Scenario } from './fakes.js'

const PROD = 'environment:acme/api/production'
const NAMES = { idSecretName: ID_NAME, tokenSecretName: TOKEN_NAME }

/** The production environment of acme/api holds its own copy of the old pair. */
function withProductionCopy(s: Scenario): Scenario {
  s.secrets.seed(PROD, { [ID_NAME]: s.old.id, [TOKEN_NAME]: s.old.token })
  return s
}

const shadowWarnings = (s: Scenario) => s.log.warnings().filter((w) => w.startsWith('Shadowed copy: '))

describe('the check step warns about shadowed copies', () => {
  test('an environment copy of a repository target: warned, left as it is, and the rotation succeeds', async () => {
    const s = withProductionCopy(scenario())
    const report = await rotate(s.deps, s.config)

    expect(report).toMatchObject({ rotated: true, problems: [] })
    expect(s.secrets.pair('repo:acme/api').id).not.toBe(s.old.id)
    // Not written: it still holds the old pair.
    expect(s.secrets.pair(PROD)).toEqual({ id: s.old.id, token: s.old.token })
    expect(shadowWarnings(s)).toEqual([
      expect.stringMatching(
        /^Shadowed copy: environment:acme\/api\/production has its own PLANETSCALE_SERVICE_TOKEN_ID and PLANETSCALE_SERVICE_TOKEN \(last written .*\), which jobs that use that environment read instead of what this run writes to repo:acme\/api\. .*Add environment:acme\/api\/production to `targets`/
      )
    ])
    expect(report.shadowing?.copies).toEqual([
      { scope: PROD, names: [ID_NAME, TOKEN_NAME], updatedAt: expect.any(String), overrides: ['repo:acme/api'] }
    ])
    // Warned before anything changed: the warning comes before the first write.
    const warnedAt = s.log.lines.findIndex((l) => l.message.startsWith('Shadowed copy: '))
    const writingAt = s.log.lines.findIndex((l) => l.message.startsWith('Writing the new pair'))
    expect(warnedAt).toBeGreaterThanOrEqual(0)
    expect(warnedAt).toBeLessThan(writingAt)

    const summary = runSummary(report, NAMES)
    expect(summary).toContain('### Shadowed copies')
    expect(summary).toMatch(
      /\| environment:acme\/api\/production \| `PLANETSCALE_SERVICE_TOKEN_ID`, `PLANETSCALE_SERVICE_TOKEN` \| repo:acme\/api \| \d{4}-\d\d-\d\dT[\d:]+Z \|/
    )
    expect(leaks(s, [summary, JSON.stringify(report), ...s.log.lines.map((l) => l.message)])).toEqual([])
  })

  test('the environment is itself a target: written, no warning, no list of its secrets', async () => {
    const s = scenario({ targets: ['repo:acme/api', PROD] })
    const report = await rotate(s.deps, s.config)
    expect(report).toMatchObject({ rotated: true, problems: [] })
    expect(s.secrets.pair(PROD).id).toBe(s.secrets.pair('repo:acme/api').id)
    expect(shadowWarnings(s)).toEqual([])
    expect(report.shadowing?.copies).toEqual([])
    expect(s.secrets.listings).toEqual(['environments:acme/api'])
    expect(runSummary(report, NAMES)).not.toContain('Shadowed copies')
  })

  test('dry run: the warning, and the plan says the copy is left as it is', async () => {
    const s = withProductionCopy(scenario())
    const report = await rotate(s.deps, { ...s.config, dryRun: true })
    expect(report.skipped).toBe('dry run')
    expect(s.ps.created()).toEqual([])
    expect(shadowWarnings(s)).toHaveLength(1)
    expect(s.log.lines.map((l) => l.message)).toContain(
      `  leave the shadowed copies at ${PROD} as they are (see the warnings)`
    )
    expect(runSummary(report, NAMES)).toContain('### Shadowed copies')
  })

  test('skipped for min-age: still warned (the copy matters at the next rotation)', async () => {
    const s = withProductionCopy(scenario())
    const report = await rotate(s.deps, { ...s.config, minAgeSeconds: 30 * 86_400 })
    expect(report.skipped).toMatch(/less than min-age/)
    expect(shadowWarnings(s)).toHaveLength(1)
  })

  test('a list the github-token cannot read: a note (info), no warning, and the run succeeds', async () => {
    const s = withProductionCopy(scenario())
    s.secrets.unreadable.add(PROD)
    const report = await rotate(s.deps, s.config)
    expect(report).toMatchObject({ rotated: true, problems: [] })
    expect(s.log.warnings()).toEqual([])
    expect(s.log.lines).toContainEqual({
      level: 'info',
      message: `Could not check for shadowing copies at ${PROD} (the github-token cannot read it).`
    })
    expect(runSummary(report, NAMES)).toContain(
      `### Shadowed copies\n\nNo copy found where the github-token can read.\n\n- Could not check for shadowing copies at ${PROD}`
    )
  })

  test('an organization target: a repository copy in one of the run’s repositories is warned about', async () => {
    const s = scenario({ targets: ['org:acme', 'environment:acme/web/production'] })
    s.secrets.seed('repo:acme/web', { [TOKEN_NAME]: s.old.token })
    const report = await rotate(s.deps, s.config)
    expect(report.rotated).toBe(true)
    expect(report.shadowing?.copies).toEqual([
      { scope: 'repo:acme/web', names: [TOKEN_NAME], updatedAt: expect.any(String), overrides: ['org:acme'] }
    ])
    expect(shadowWarnings(s)[0]).toMatch(
      /which the workflows of acme\/web read instead of what this run writes to org:acme/
    )
  })
})
