import { describe, expect, test } from '@jest/globals'
import { ENV, GITHUB_TOKEN, inputError, parse, SERVICE_TOKEN } from './helpers.js'

describe('defaults', () => {
  test('minimal rotate inputs produce the documented defaults', () => {
    expect(parse()).toEqual({
      command: 'rotate',
      organization: 'acme',
      credentials: { id: 'abcdef123456', token: SERVICE_TOKEN },
      tokenId: 'abcdef123456',
      tokenIdExplicit: false,
      targets: [{ kind: 'repo', label: 'repo:acme/api', owner: 'acme', repo: 'api' }],
      githubToken: GITHUB_TOKEN,
      idSecretName: 'PLANETSCALE_SERVICE_TOKEN_ID',
      tokenSecretName: 'PLANETSCALE_SERVICE_TOKEN',
      tokenName: 'github-actions/acme/api/2026-11-22T06:00:00Z',
      accesses: undefined,
      ttl: { kind: 'keep' },
      minAgeSeconds: 0,
      deletePrevious: { kind: 'after', seconds: 3600 },
      journal: {
        kind: 'repo',
        owner: 'acme',
        repo: 'api',
        name: 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION',
        label: 'repo:acme/api'
      },
      runId: '4242/1',
      dryRun: false,
      exportEnv: true,
      planetscaleApiUrl: 'https://api.planetscale.com/v1',
      githubApiUrl: 'https://api.github.com',
      tuning: {
        writeSpacingMs: 1000,
        writeConcurrency: 8,
        retryBaseMs: 1000,
        requestTimeoutMs: 15_000,
        verifyTimeoutMs: 30_000
      }
    })
  })

  test('a malformed tuning knob is an input error naming the variable', () => {
    const error = inputError(() => parse({}, { ...ENV, PSCALE_ACTION_WRITE_SPACING_MS: '1s' }))
    expect(error.input).toBe('PSCALE_ACTION_WRITE_SPACING_MS')
  })

  test('values are trimmed', () => {
    const config = parse({
      organization: '  acme \n',
      'service-token-id': ' abc ',
      'service-token': ` ${SERVICE_TOKEN}\n`
    })
    expect([config.organization, config.credentials.id, config.credentials.token]).toEqual([
      'acme',
      'abc',
      SERVICE_TOKEN
    ])
  })

  test('without GITHUB_API_URL the GitHub API defaults to api.github.com', () => {
    expect(parse({}, { GITHUB_REPOSITORY: 'acme/api' }).githubApiUrl).toBe('https://api.github.com')
  })

  test('GITHUB_API_URL is the GitHub API default (GHES)', () => {
    expect(parse({}, { ...ENV, GITHUB_API_URL: 'https://ghe.example/api/v3/' }).githubApiUrl).toBe(
      'https://ghe.example/api/v3'
    )
  })

  test('the github-api-url input wins over GITHUB_API_URL', () => {
    expect(parse({ 'github-api-url': 'https://other.example/api/v3' }).githubApiUrl).toBe(
      'https://other.example/api/v3'
    )
  })
})

describe('command', () => {
  test.each([
    ['', 'rotate'],
    ['rotate', 'rotate'],
    ['create', 'create'],
    [' list ', 'list'],
    ['delete', 'delete']
  ])('%j → %s', (raw, expected) => {
    const extra: Record<string, string> =
      expected === 'delete'
        ? { 'token-id': 'zzz' }
        : expected === 'create'
          ? { accesses: 'organization read_databases' }
          : {}
    expect(parse({ command: raw, ...extra }).command).toBe(expected)
  })

  test.each(['Rotate', 'LIST', 'rotate-token', 'remove'])('%j is rejected, listing the five commands', (raw) => {
    const error = inputError(() => parse({ command: raw }))
    expect(error.input).toBe('command')
    expect(error.message).toContain(JSON.stringify(raw))
    expect(error.message).toContain('rotate, create, job-token, list, delete')
  })
})

describe('required values', () => {
  test.each([
    ['organization', 'is required'],
    ['service-token-id', 'is required'],
    ['service-token', 'is required']
  ])('empty %s is an error', (input, fragment) => {
    for (const raw of ['', '   ']) {
      const error = inputError(() => parse({ [input]: raw }))
      expect(error.input).toBe(input)
      expect(error.message).toContain(fragment)
    }
  })

  test.each([
    ['organization', 'my org', 'has "\\u0020" (a space) at position 3'],
    ['organization', 'acme/evil', 'has "/" at position 5, which separates URL path segments'],
    ['service-token-id', 'abc def', 'contains whitespace'],
    ['token-id', 'abc def', 'contains whitespace']
  ])('%s %j is rejected', (input, raw, fragment) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain(fragment)
    expect(error.message).toContain(JSON.stringify(raw))
  })

  test.each(['abcdef123456', 'old-Token_ID.42', 'X'])('token IDs of other shapes are accepted: %j', (id) => {
    expect(parse({ 'service-token-id': id }).credentials.id).toBe(id)
  })
})

describe('token-id', () => {
  test('defaults to service-token-id and is marked implicit', () => {
    const config = parse({ 'token-id': '' })
    expect([config.tokenId, config.tokenIdExplicit]).toEqual(['abcdef123456', false])
  })

  test('an explicit token-id is used and marked explicit', () => {
    const config = parse({ 'token-id': ' other1234567 ' })
    expect([config.tokenId, config.tokenIdExplicit]).toEqual(['other1234567', true])
  })

  test('an explicit token-id equal to service-token-id is still explicit (delete self-guard)', () => {
    const config = parse({ command: 'delete', 'token-id': 'abcdef123456' })
    expect([config.tokenId, config.tokenIdExplicit]).toEqual(['abcdef123456', true])
  })

  test('delete requires token-id', () => {
    const error = inputError(() => parse({ command: 'delete' }))
    expect(error.input).toBe('token-id')
    expect(error.message).toContain('required for command "delete"')
  })
})

describe('commands that write no secrets', () => {
  test.each([
    ['list', {}],
    ['delete', { 'token-id': 'zzz' }]
  ])('%s ignores targets, accesses and github-token', (command, extra) => {
    const config = parse({
      command,
      ...extra,
      targets: 'not a target',
      accesses: 'garbage',
      'github-token': '',
      journal: 'not a journal'
    })
    expect(config.targets).toEqual([])
    expect(config.accesses).toBeUndefined()
    expect(config.githubToken).toBeUndefined()
    expect(config.journal).toBeUndefined()
  })

  test('list needs no GITHUB_REPOSITORY', () => {
    const config = parse({ command: 'list' }, {})
    expect([config.targets, config.journal]).toEqual([[], undefined])
  })
})

describe('targets defaults', () => {
  test('empty targets default to repo:GITHUB_REPOSITORY', () => {
    expect(parse({ targets: '  \n' }).targets.map((target) => target.label)).toEqual(['repo:acme/api'])
  })

  test('empty targets without GITHUB_REPOSITORY: set targets', () => {
    const error = inputError(() => parse({}, { GITHUB_RUN_ID: '1' }))
    expect(error.input).toBe('targets')
    expect(error.message).toContain('GITHUB_REPOSITORY is not set: set targets')
  })

  test('a malformed GITHUB_REPOSITORY is reported as such', () => {
    const error = inputError(() => parse({}, { GITHUB_REPOSITORY: 'nonsense' }))
    expect(error.input).toBe('targets')
    expect(error.message).toContain('GITHUB_REPOSITORY "nonsense" is not OWNER/REPO')
  })

  test('targets holding only comments: at least one target', () => {
    const error = inputError(() => parse({ targets: '# later\n\n' }))
    expect(error.input).toBe('targets')
    expect(error.message).toContain('at least one target')
  })

  test('explicit targets replace the default', () => {
    expect(parse({ targets: 'org:acme' }).targets.map((target) => target.label)).toEqual(['org:acme'])
  })
})

describe('github-token', () => {
  test.each(['rotate', 'create'])(
    '%s with targets requires it and explains GITHUB_TOKEN cannot write secrets',
    (command) => {
      const error = inputError(() => parse({ command, accesses: 'organization read_databases', 'github-token': ' ' }))
      expect(error.input).toBe('github-token')
      expect(error.message).toContain('GITHUB_TOKEN cannot write secrets')
      expect(error.message).toContain('actions/create-github-app-token')
      expect(error.message).toContain('fine-grained personal access token')
    }
  )
})

describe('secret names', () => {
  test.each([
    ['id-secret-name', 'MY_ID', 'idSecretName'],
    ['token-secret-name', '_private_token2', 'tokenSecretName']
  ] as const)('%s accepts %j', (input, raw, key) => {
    expect(parse({ [input]: raw })[key]).toBe(raw)
  })

  test.each([
    ['id-secret-name', '1ID', 'not a valid secret name'],
    ['id-secret-name', 'MY-ID', 'not a valid secret name'],
    ['token-secret-name', 'TOKEN VALUE', 'not a valid secret name'],
    ['token-secret-name', 'TÖKEN', 'not a valid secret name'],
    ['id-secret-name', 'GITHUB_ID', 'GITHUB_'],
    ['token-secret-name', 'github_token', 'GITHUB_']
  ])('%s %j is rejected', (input, raw, fragment) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain(JSON.stringify(raw))
    expect(error.message).toContain(fragment)
  })

  test('the two names must differ, case-insensitively', () => {
    const error = inputError(() => parse({ 'id-secret-name': 'PS_PAIR', 'token-secret-name': 'ps_pair' }))
    expect(error.input).toBe('token-secret-name')
    expect(error.message).toContain('same secret as id-secret-name')
  })

  test('a token-secret-name equal to the default id name collides', () => {
    const error = inputError(() => parse({ 'token-secret-name': 'PLANETSCALE_SERVICE_TOKEN_ID' }))
    expect(error.input).toBe('token-secret-name')
  })
})

describe('token-name', () => {
  test.each([
    ['', ENV, 'github-actions/acme/api/2026-11-22T06:00:00Z'],
    ['ci-{run_id}', ENV, 'ci-4242'],
    ['{repository}@{date}#{run_id}', ENV, 'acme/api@2026-11-22T06:00:00Z#4242'],
    ['{date}-{date}', ENV, '2026-11-22T06:00:00Z-2026-11-22T06:00:00Z'],
    ['plain name', ENV, 'plain name'],
    ['{run_id}/{repository}', { GITHUB_API_URL: 'https://api.github.com' }, 'local/local'],
    ['a{b', ENV, 'a{b']
  ])('%j fills to the expected name', (raw, env, expected) => {
    const config = parse({ 'token-name': raw, targets: 'repo:acme/api', journal: 'none' }, env)
    expect(config.tokenName).toBe(expected)
  })

  test.each([
    ['{branch}', '"{branch}"'],
    ['x-{Date}', '"{Date}"'],
    ['{}', '"{}"']
  ])('unknown placeholder in %j is an error', (raw, fragment) => {
    const error = inputError(() => parse({ 'token-name': raw }))
    expect(error.input).toBe('token-name')
    expect(error.message).toContain(`unknown placeholder ${fragment}`)
  })

  test('255 characters are fine, 256 are not, counted after filling', () => {
    // {run_id} fills to 4 characters.
    expect(parse({ 'token-name': `${'a'.repeat(251)}{run_id}` }).tokenName).toHaveLength(255)
    const error = inputError(() => parse({ 'token-name': `${'a'.repeat(252)}{run_id}` }))
    expect(error.input).toBe('token-name')
    expect(error.message).toContain('256 characters')
  })

  test('a multi-line name is rejected', () => {
    expect(inputError(() => parse({ 'token-name': 'one\ntwo' })).input).toBe('token-name')
  })

  test('milliseconds are dropped from {date}', () => {
    expect(parse({ 'token-name': '{date}' }, ENV, new Date(Date.UTC(2027, 0, 2, 3, 4, 5, 999))).tokenName).toBe(
      '2027-01-02T03:04:05Z'
    )
  })
})

describe('accesses by command', () => {
  test('rotate: empty accesses copy the old token (undefined)', () => {
    expect(parse({ accesses: '' }).accesses).toBeUndefined()
    expect(parse({ accesses: '# none\n' }).accesses).toBeUndefined()
  })

  test('rotate: given accesses are parsed', () => {
    expect(parse({ accesses: 'database=db read_branch' }).accesses).toEqual([
      { database: 'db', access: ['read_branch'] }
    ])
  })

  test('create requires accesses', () => {
    const error = inputError(() => parse({ command: 'create' }))
    expect(error.input).toBe('accesses')
    expect(error.message).toContain('required for command "create"')
  })
})

describe('ttl and min-age together', () => {
  test('rotate: a ttl shorter than min-age is an error that explains why', () => {
    const error = inputError(() => parse({ ttl: '7d', 'min-age': '30d' }))
    expect(error.input).toBe('ttl')
    expect(error.message).toContain('"7d" is shorter than min-age "30d"')
    expect(error.message).toContain('rotate it anyway')
  })

  test.each([
    [{ ttl: '30d', 'min-age': '30d' }],
    [{ ttl: '90d', 'min-age': '30d' }],
    [{ ttl: 'never', 'min-age': '30d' }],
    [{ ttl: '', 'min-age': '30d' }],
    [{ command: 'create', accesses: 'organization x', ttl: '1d', 'min-age': '30d' }]
  ])('%j is accepted', (inputs) => {
    expect(() => parse(inputs)).not.toThrow()
  })

  test('values reach the Config', () => {
    const config = parse({ ttl: '90d', 'min-age': '12h' })
    expect([config.ttl, config.minAgeSeconds]).toEqual([{ kind: 'seconds', seconds: 7_776_000 }, 43_200])
  })
})

describe('dry-run', () => {
  test.each([
    ['', false],
    ['true', true],
    [' True ', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false]
  ] as const)('%j → %s', (raw, expected) => {
    expect(parse({ 'dry-run': raw }).dryRun).toBe(expected)
  })

  test.each(['tRUE', 'on', 'yes', '1'])('%j is rejected', (raw) => {
    const error = inputError(() => parse({ 'dry-run': raw }))
    expect(error.input).toBe('dry-run')
    expect(error.message).toContain(`${JSON.stringify(raw)} is not a boolean`)
  })
})

describe('runId', () => {
  test.each([
    [{ GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '3' }, '4242/3'],
    [{ GITHUB_RUN_ID: ' 4242 ', GITHUB_RUN_ATTEMPT: '' }, '4242/1'],
    [{ GITHUB_RUN_ID: '4242' }, '4242/1'],
    [{ GITHUB_RUN_ATTEMPT: '2' }, 'local/2'],
    [{ GITHUB_RUN_ID: '', GITHUB_RUN_ATTEMPT: '' }, 'local/1'],
    [{}, 'local/1']
  ])('%j → %j', (runEnv, expected) => {
    expect(parse({}, { GITHUB_REPOSITORY: 'acme/api', ...runEnv }).runId).toBe(expected)
  })

  test('is set for every command', () => {
    expect(parse({ command: 'list' }, { GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' }).runId).toBe('7/2')
  })
})

describe('API URLs', () => {
  test.each([
    ['https://api.planetscale.com/v1', 'https://api.planetscale.com/v1'],
    ['https://api.planetscale.com/v1///', 'https://api.planetscale.com/v1'],
    ['https://proxy.example:8443/', 'https://proxy.example:8443'],
    ['http://127.0.0.1:4010/v1', 'http://127.0.0.1:4010/v1'],
    ['http://127.8.9.10:80/', 'http://127.8.9.10'],
    ['http://localhost:4010', 'http://localhost:4010'],
    ['http://[::1]:4010/ps/', 'http://[::1]:4010/ps']
  ])('planetscale-api-url %j → %j', (raw, expected) => {
    expect(parse({ 'planetscale-api-url': raw }).planetscaleApiUrl).toBe(expected)
  })

  test.each([
    ['planetscale-api-url', 'api.planetscale.com/v1', 'is not a URL'],
    ['planetscale-api-url', 'http://api.planetscale.com/v1', 'plain http'],
    ['github-api-url', 'http://128.0.0.1', 'plain http'],
    ['github-api-url', 'http://localhost.evil.example', 'plain http'],
    ['github-api-url', 'ftp://files.example/', 'not an http(s) URL'],
    ['github-api-url', 'https://api.github.com/?x=1', 'query'],
    ['planetscale-api-url', 'https://api.planetscale.com/v1#top', 'fragment'],
    ['planetscale-api-url', 'https://user:pw@api.planetscale.com/v1', 'credentials']
  ])('%s %j is rejected', (input, raw, fragment) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain(fragment)
  })

  test('a URL with credentials is not echoed', () => {
    const error = inputError(() => parse({ 'github-api-url': 'https://x-access-token:hunter2@ghe.example/api/v3' }))
    expect(error.message).not.toContain('hunter2')
  })

  test('a query is not echoed', () => {
    const error = inputError(() => parse({ 'planetscale-api-url': 'https://api.planetscale.com/v1?key=s3cr3t' }))
    expect(error.message).not.toContain('s3cr3t')
    expect(error.message).toContain('"https://api.planetscale.com/v1"')
  })

  test('a bad GITHUB_API_URL is reported against github-api-url, naming its source', () => {
    const error = inputError(() => parse({}, { ...ENV, GITHUB_API_URL: 'http://ghe.example/api/v3' }))
    expect(error.input).toBe('github-api-url')
    expect(error.message).toContain('from GITHUB_API_URL')
  })
})

describe('validation order', () => {
  test('the first invalid input is reported', () => {
    const error = inputError(() => parse({ command: 'bogus', organization: '', 'dry-run': 'maybe' }))
    expect(error.input).toBe('command')
  })

  test('journal is checked before delete-previous, which depends on it', () => {
    expect(inputError(() => parse({ journal: 'bogus', 'delete-previous': 'bogus' })).input).toBe('journal')
  })

  test('a late input still stops the parse (no Config with one bad input)', () => {
    expect(inputError(() => parse({ 'github-api-url': 'nope' })).input).toBe('github-api-url')
  })
})

describe('job-token', () => {
  const job = (extra: Record<string, string> = {}) =>
    parse({ command: 'job-token', targets: '', 'github-token': '', accesses: 'database=app-db read_branch', ...extra })

  test('defaults: ttl 1h, export-env true, no targets, no journal, a name after the run', () => {
    const config = job()
    expect(config).toMatchObject({
      command: 'job-token',
      ttl: { kind: 'seconds', seconds: 3600 },
      exportEnv: true,
      targets: [],
      githubToken: undefined,
      journal: undefined
    })
    expect(config.tokenName).toMatch(/^github-actions\/acme\/api\/run-\S+-\S+$/)
  })

  test.each([
    ['5m', 300],
    ['7d', 604_800],
    ['90m', 5400]
  ])('ttl %s is accepted', (ttl, seconds) => {
    expect(job({ ttl }).ttl).toEqual({ kind: 'seconds', seconds })
  })

  test.each(['4m', '299', '8d', 'never'])('ttl %s is refused: 5 minutes to 7 days', (ttl) => {
    const error = inputError(() => job({ ttl }))
    expect(error.input).toBe('ttl')
  })

  test('accesses are required; targets are refused; export-env is a boolean', () => {
    expect(inputError(() => job({ accesses: '' })).input).toBe('accesses')
    expect(inputError(() => job({ targets: 'repo:acme/api' })).input).toBe('targets')
    expect(job({ 'export-env': 'false' }).exportEnv).toBe(false)
    expect(inputError(() => job({ 'export-env': 'no' })).input).toBe('export-env')
  })
})
