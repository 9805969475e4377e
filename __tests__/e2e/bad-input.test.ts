// Bad input, through the bundle: each case must exit 1 with a message that names the input, and
// send no request that changes anything (the emulator's log and state prove it).
import { describe, expect, test } from '@jest/globals'
import { TARGET_SETS, annotations, findLeaks, runAction, startScenario, writes, type Scenario } from './harness.js'

interface Case {
  name: string
  /** Inputs over the scenario's (a valid self-rotation into repo + environment + org); '' unsets one. */
  inputs?: (s: Scenario) => Record<string, string>
  env?: Record<string, string>
  /** The input (or knob) the message must name. */
  input: string
  /** More the message must say. */
  says?: RegExp
  /** A value that must not be shown (a secret given in the wrong place). */
  hidden?: string
}

const PASTED_SECRET = 'pscale_tkn_pastedIntoTheWrongInput0000000001'
/** A secret with no known token prefix: only redaction by value can keep it out of the output. */
const UNPREFIXED_SECRET = 'Zq8unprefixedServiceTokenValue'

const CASES: Case[] = [
  // command
  {
    name: 'an unknown command',
    inputs: () => ({ command: 'rotat' }),
    input: 'command',
    says: /unknown command "rotat": expected one of rotate, create, job-token, list, delete/
  },
  { name: 'a command in the wrong case', inputs: () => ({ command: 'Rotate' }), input: 'command' },
  // required inputs
  { name: 'no organization', inputs: () => ({ organization: '' }), input: 'organization', says: /required/ },
  { name: 'an organization with a space', inputs: () => ({ organization: 'acme corp' }), input: 'organization' },
  {
    name: 'no service-token-id',
    inputs: () => ({ 'service-token-id': '' }),
    input: 'service-token-id',
    says: /required/
  },
  { name: 'no service-token', inputs: () => ({ 'service-token': '' }), input: 'service-token', says: /required/ },
  {
    name: 'a service-token with a line break in it',
    inputs: (s) => ({ 'service-token': `${s.token.token}\nextra` }),
    input: 'service-token',
    says: /control character \(a line break\) at position \d+ \(the value is not shown\)/
  },
  {
    name: 'a github-token carrying a header after CR LF (header injection)',
    inputs: (s) => ({ 'github-token': `${s.githubToken}\r\nX-Injected: yes` }),
    input: 'github-token',
    says: /control character \(a carriage return\) at position \d+ \(the value is not shown\)/,
    hidden: 'X-Injected'
  },
  {
    name: 'an organization that is a path step ("..")',
    inputs: () => ({ organization: '..' }),
    input: 'organization',
    says: /is a path step/
  },
  {
    name: 'an organization with a look-alike letter (Cyrillic "а")',
    inputs: () => ({ organization: '\u0430cme' }),
    input: 'organization',
    says: /has "\\u0430" \(a non-ASCII character\) at position 1/
  },
  {
    name: 'an organization with a query in it',
    inputs: () => ({ organization: 'acme?admin=1' }),
    input: 'organization',
    says: /has "\?" at position 5, which starts a URL query/
  },
  {
    name: 'a token-id that is a path step ("..")',
    inputs: () => ({ 'token-id': '..' }),
    input: 'token-id',
    says: /the ID is a path step/
  },
  {
    name: 'a token secret pasted into service-token-id',
    inputs: () => ({ 'service-token-id': PASTED_SECRET }),
    input: 'service-token-id',
    says: /looks like a service token secret/,
    hidden: PASTED_SECRET
  },
  {
    name: 'the service token (no known prefix) echoed in another input: redacted by value everywhere',
    inputs: () => ({ 'service-token': UNPREFIXED_SECRET, organization: `${UNPREFIXED_SECRET}/acme` }),
    input: 'organization',
    says: /"\[redacted\]\/acme" is not a PlanetScale organization name/,
    hidden: UNPREFIXED_SECRET
  },
  {
    name: 'targets without a github-token',
    inputs: () => ({ 'github-token': '' }),
    input: 'github-token',
    says: /GITHUB_TOKEN cannot write secrets/
  },
  // targets
  {
    name: 'repo: without a repository',
    inputs: () => ({ targets: 'repo:acme' }),
    input: 'targets',
    says: /line 1 "repo:acme"/
  },
  { name: 'a bare OWNER/REPO with an extra part', inputs: () => ({ targets: 'acme/api/extra' }), input: 'targets' },
  {
    name: 'environment: without an environment',
    inputs: () => ({ targets: 'environment:acme/api' }),
    input: 'targets'
  },
  {
    name: 'environment: ".." (the request would reach the repository\'s own secrets)',
    inputs: () => ({ targets: 'repo:acme/api\nenvironment:acme/api/..' }),
    input: 'targets',
    says: /line 2 .*environment name ".." is a path step/
  },
  {
    name: 'a journal in environment "."',
    inputs: () => ({ journal: 'environment:acme/api/.' }),
    input: 'journal',
    says: /environment name "\." is a path step/
  },
  { name: 'org: without an organization', inputs: () => ({ targets: 'org:' }), input: 'targets' },
  {
    name: 'org: with an unknown visibility',
    inputs: () => ({ targets: 'org:acme visibility=public' }),
    input: 'targets',
    says: /not all, private or selected/
  },
  {
    name: 'org: visibility=selected without repositories',
    inputs: () => ({ targets: 'org:acme visibility=selected' }),
    input: 'targets',
    says: /needs the repositories/
  },
  {
    name: 'org: repositories= without visibility=selected',
    inputs: () => ({ targets: 'org:acme repositories=api' }),
    input: 'targets'
  },
  {
    name: 'org: an unknown option',
    inputs: () => ({ targets: 'org:acme scope=all' }),
    input: 'targets',
    says: /unknown option/
  },
  { name: 'dependabot: without a repository', inputs: () => ({ targets: 'dependabot:acme' }), input: 'targets' },
  {
    name: 'dependabot-org: with a bad visibility',
    inputs: () => ({ targets: 'dependabot-org:acme visibility=sometimes' }),
    input: 'targets'
  },
  {
    name: 'an unknown target kind',
    inputs: () => ({ targets: 'gitlab:acme/api' }),
    input: 'targets',
    says: /unknown target kind "gitlab"/
  },
  {
    name: 'the same target twice (case-insensitively, bare and with repo:)',
    inputs: () => ({ targets: 'repo:acme/api\n# again\nACME/API' }),
    input: 'targets',
    says: /line 3 .*same target as line 1/
  },
  {
    name: 'targets that are only comments',
    inputs: () => ({ targets: '# none yet\n\n' }),
    input: 'targets',
    says: /only comments/
  },
  // secret names
  {
    name: 'an ID secret name starting with a digit',
    inputs: () => ({ 'id-secret-name': '1PLANETSCALE_ID' }),
    input: 'id-secret-name'
  },
  {
    name: 'an ID secret name starting with GITHUB_',
    inputs: () => ({ 'id-secret-name': 'GITHUB_PSCALE_ID' }),
    input: 'id-secret-name',
    says: /reserves/
  },
  {
    name: 'a token secret name with a space',
    inputs: () => ({ 'token-secret-name': 'PSCALE TOKEN' }),
    input: 'token-secret-name'
  },
  {
    name: 'a token secret name starting with github_ (any case)',
    inputs: () => ({ 'token-secret-name': 'github_pscale' }),
    input: 'token-secret-name'
  },
  {
    name: 'the same name for the ID and the token (case-insensitively)',
    inputs: () => ({ 'id-secret-name': 'PSCALE', 'token-secret-name': 'pscale' }),
    input: 'token-secret-name',
    says: /same secret as id-secret-name/
  },
  // durations
  { name: 'a ttl in words', inputs: () => ({ ttl: '90 days' }), input: 'ttl', says: /not a duration/ },
  { name: 'a ttl of 0', inputs: () => ({ ttl: '0' }), input: 'ttl', says: /already expired/ },
  { name: 'a negative ttl', inputs: () => ({ ttl: '-5d' }), input: 'ttl' },
  { name: 'a ttl over 10 years', inputs: () => ({ ttl: '3651d' }), input: 'ttl', says: /too long/ },
  { name: 'a min-age in weeks', inputs: () => ({ 'min-age': '2w' }), input: 'min-age' },
  {
    name: 'a ttl shorter than min-age',
    inputs: () => ({ ttl: '1h', 'min-age': '30d' }),
    input: 'ttl',
    says: /shorter than min-age/
  },
  // accesses
  {
    name: 'an accesses line without permissions',
    inputs: () => ({ accesses: 'database=app-db' }),
    input: 'accesses',
    says: /no permissions/
  },
  {
    name: 'an accesses line without "="',
    inputs: () => ({ accesses: 'database app-db read_branch' }),
    input: 'accesses'
  },
  {
    name: 'accesses separated by commas',
    inputs: () => ({ accesses: 'organization read_service_tokens,write_service_tokens' }),
    input: 'accesses',
    says: /not commas/
  },
  {
    name: 'an accesses line with a bad database name',
    inputs: () => ({ accesses: 'database=-db read_branch' }),
    input: 'accesses'
  },
  {
    name: 'create without accesses',
    inputs: () => ({ command: 'create' }),
    input: 'accesses',
    says: /required for command "create"/
  },
  // commands' own inputs
  {
    name: 'delete without token-id',
    inputs: () => ({ command: 'delete' }),
    input: 'token-id',
    says: /required for command "delete"/
  },
  {
    name: 'a token-name with an unknown placeholder',
    inputs: () => ({ 'token-name': 'ci/{branch}' }),
    input: 'token-name',
    says: /unknown placeholder/
  },
  {
    name: 'delete-previous that is not a boolean',
    inputs: () => ({ 'delete-previous': 'yes' }),
    input: 'delete-previous'
  },
  { name: 'dry-run that is not a boolean', inputs: () => ({ 'dry-run': 'maybe' }), input: 'dry-run' },
  // URLs
  {
    name: 'a planetscale-api-url that is not a URL',
    inputs: () => ({ 'planetscale-api-url': 'api.planetscale.com' }),
    input: 'planetscale-api-url',
    says: /not a URL/
  },
  {
    name: 'a plain-http planetscale-api-url',
    inputs: () => ({ 'planetscale-api-url': 'http://api.planetscale.com/v1' }),
    input: 'planetscale-api-url',
    says: /plain http/
  },
  {
    name: 'an ftp github-api-url',
    inputs: () => ({ 'github-api-url': 'ftp://ghe.example/api/v3' }),
    input: 'github-api-url'
  },
  {
    name: 'a github-api-url with credentials in it',
    inputs: () => ({ 'github-api-url': 'https://admin:hunter2secret@ghe.example/api/v3' }),
    input: 'github-api-url',
    says: /must not contain credentials/,
    hidden: 'hunter2secret'
  },
  {
    name: 'a bad GITHUB_API_URL when github-api-url is not given',
    inputs: () => ({ 'github-api-url': '' }),
    env: { GITHUB_API_URL: 'not a url' },
    input: 'github-api-url',
    says: /from GITHUB_API_URL/
  },
  // tuning knobs are validated like inputs
  {
    name: 'a request timeout knob that is not a number',
    env: { PSCALE_ACTION_REQUEST_TIMEOUT_MS: 'fast' },
    input: 'PSCALE_ACTION_REQUEST_TIMEOUT_MS'
  }
]

describe('bad input: exit 1, the input named, nothing changed', () => {
  test('there are at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30)
  })

  for (const c of CASES) {
    test.concurrent(c.name, async () => {
      const s = await startScenario({ targets: TARGET_SETS.three })
      try {
        const before = s.emu.snapshot()
        const run = await runAction({ ...s.inputs, ...c.inputs?.(s) }, { env: { ...s.env, ...c.env } })
        const message = annotations(run, 'error').join('\n')
        expect({ code: run.code, message }).toEqual({ code: 1, message: expect.stringContaining(`"${c.input}"`) })
        if (c.says) expect(message).toMatch(c.says)
        // Refused before any request: none reached either API, so nothing was created, granted,
        // written or deleted.
        expect(s.emu.log).toEqual([])
        expect(writes(s.emu)).toEqual([])
        expect(s.emu.snapshot()).toEqual(before)
        expect(findLeaks(run, [...s.secrets(), ...(c.hidden ? [c.hidden] : [])])).toEqual([])
        expect(run.summary).toContain('**Failed**: an input is invalid; nothing was requested or changed.')
        expect(run.summary).not.toMatch(/mismatched pair/)
      } finally {
        await s.emu.stop()
      }
    })
  }
})
