// PlanetScale's API where it is not what its reference promises (planetscale-api.md, "Corrections
// and open risks"), through the bundle: records without `service_token_accesses`, refresh tokens
// on create, a grant endpoint closed to service tokens, and error bodies that echo secrets.
import { describe, expect, test } from '@jest/globals'
import { REDACTED } from '../../src/redact.js'
import {
  ORG,
  createdTokenIds,
  failure,
  findLeaks,
  heldPair,
  invariantViolations,
  runAction,
  scenarios,
  secretWrites
} from './harness.js'

const scenario = scenarios()

/** Every 12-character run of each secret: a secret cut short still leaks. */
function fragmentsIn(text: string, secrets: readonly string[]): string[] {
  const visible = text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  return secrets.flatMap((secret) =>
    Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12)).filter((part) =>
      visible.includes(part)
    )
  )
}

describe('token records without service_token_accesses (optional in the schema)', () => {
  test('rotate reads the accesses from GET .../access, and the new token gets the same; its refresh token is masked', async () => {
    // Hex secrets (no known prefix): only masking and redaction by value keep the new ones out of the log.
    const s = await scenario({
      emulator: { planetscale: { omitTokenAccesses: true, issueRefreshTokens: true, secretFormat: 'hex' } }
    })
    const run = await runAction(s.inputs, { env: s.env })
    expect({ code: run.code, message: failure(run) }).toEqual({ code: 0, message: '' })
    const newId = run.outputs['token-id'] ?? ''
    expect(createdTokenIds(s)).toEqual([newId])
    expect(s.emu.planetscale.accessSet(newId)).toEqual(s.originalAccessSet)
    for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
    // The old token's accesses were read to copy them, the new token's to test it.
    const flatReads = s.emu.log.filter((e) => e.method === 'GET' && e.path.endsWith('/access'))
    const tokens = `/organizations/${ORG}/service-tokens`
    expect(new Set(flatReads.map((e) => e.path))).toEqual(
      new Set([`${tokens}/${s.token.id}/access`, `${tokens}/${newId}/access`])
    )
    expect(invariantViolations(s)).toEqual([])
    // The new token's refresh token, issued last, was masked the moment the create answer arrived.
    const refresh = s.emu.planetscale.tokenSecrets().at(-1) ?? ''
    expect(refresh).toMatch(/^[0-9a-f]{40}$/)
    expect(run.stdout.split('\n')).toContain(`::add-mask::${refresh}`)
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})

describe('PlanetScale refuses the (undocumented) grant endpoint to a service token', () => {
  test('the run ends as on any failed grant, and says why and what to do', async () => {
    const s = await scenario({ emulator: { planetscale: { grantRefusalStatus: 404 } } })
    const before = s.targets.map((scope) => heldPair(s, scope))
    const run = await runAction(s.inputs, { env: s.env })
    expect(run.code).toBe(1)
    const message = failure(run)
    const [newId] = createdTokenIds(s)
    expect(newId).toBeDefined()
    // Said once, though every grant request was refused.
    expect(message.split('PlanetScale refused to let a service token grant accesses')).toHaveLength(2)
    expect(message).toContain("is not in PlanetScale's published API reference")
    expect(message).toContain('Grant the accesses in the PlanetScale dashboard')
    expect(message).toContain('or rotate from a token that PlanetScale lets grant them')
    expect(message).toContain(`The new token ${newId} was deleted again; no secret was changed.`)
    expect(run.summary).toContain('PlanetScale refused to let a service token grant accesses')
    expect(s.emu.planetscale.token(newId!)?.deletedAt).not.toBeNull()
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    expect(secretWrites(s.emu)).toEqual([])
    expect(s.targets.map((scope) => heldPair(s, scope))).toEqual(before)
    expect(invariantViolations(s)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  })
})

describe('error bodies that echo the secrets', () => {
  test('no secret reaches stdout, stderr, the job summary or the outputs, prefixed or not, in any field', async () => {
    // The service token is 40 hex digits (planetscale-go's fixtures); the GitHub token has no known
    // prefix and is too short for the opaque-run rule: only redaction by value hides it.
    const s = await scenario({ emulator: { planetscale: { secretFormat: 'hex' } } })
    const githubToken = 'plainGitHubToken0042x'
    s.emu.github.addToken(githubToken, { scopes: 'all' })
    const service = s.token.token
    expect(service).toMatch(/^[0-9a-f]{40}$/)
    s.emu.addFault({
      api: 'planetscale',
      method: 'GET',
      path: '/organizations',
      times: Infinity,
      response: {
        status: 401,
        body: {
          code: githubToken,
          message: `Invalid service token ${service} (also seen: ${githubToken})`,
          errors: [
            {
              namespace: service,
              name: githubToken,
              errors: [service, { namespace: githubToken, name: service, errors: [githubToken] }]
            }
          ]
        }
      }
    })
    const run = await runAction({ ...s.inputs, 'github-token': githubToken }, { env: s.env })
    expect(run.code).toBe(1)
    const message = failure(run)
    // The fields were shown, redacted: not merely left out.
    expect(message).toContain(`HTTP 401 (${REDACTED}: "Invalid service token ${REDACTED} (also seen: ${REDACTED})"`)
    expect(message).toContain(`errors in ${REDACTED}.${REDACTED}`)
    expect(message).toContain('Check both service-token-id and service-token')
    const secrets = [service, githubToken, ...s.secrets()]
    expect(findLeaks(run, secrets)).toEqual([])
    for (const text of [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
      expect(fragmentsIn(text, [service, githubToken])).toEqual([])
    }
    expect(run.summary).toContain(REDACTED)
  })
})
