import { describe, expect, test } from '@jest/globals'
import { ENV, inputError, parse } from './helpers.js'

const CREATE = { command: 'create', accesses: 'organization read_databases' }

describe('journal', () => {
  test('defaults to a repository variable in GITHUB_REPOSITORY named after id-secret-name', () => {
    expect(parse({ journal: ' ' }).journal).toEqual({
      kind: 'repo',
      owner: 'acme',
      repo: 'api',
      name: 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION',
      label: 'repo:acme/api'
    })
    expect(parse({ 'id-secret-name': 'DB_ID' }).journal?.name).toBe('DB_ID_ROTATION')
  })

  test('the default does not follow targets: the journal stays with the workflow', () => {
    expect(parse({ targets: 'org:other' }).journal?.label).toBe('repo:acme/api')
  })

  test.each([
    [
      'repo:acme/api',
      {
        kind: 'repo',
        owner: 'acme',
        repo: 'api',
        name: 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION',
        label: 'repo:acme/api'
      }
    ],
    ['acme/api.js name=X', { kind: 'repo', owner: 'acme', repo: 'api.js', name: 'X', label: 'repo:acme/api.js' }],
    [
      '  repo:Acme-Corp/my_repo   name=API_ROTATION \n',
      { kind: 'repo', owner: 'Acme-Corp', repo: 'my_repo', name: 'API_ROTATION', label: 'repo:Acme-Corp/my_repo' }
    ],
    [
      'environment:acme/api/production',
      {
        kind: 'environment',
        owner: 'acme',
        repo: 'api',
        environment: 'production',
        name: 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION',
        label: 'environment:acme/api/production'
      }
    ],
    [
      'environment:acme/api/eu/prod west name=_j1',
      {
        kind: 'environment',
        owner: 'acme',
        repo: 'api',
        environment: 'eu/prod west',
        name: '_j1',
        label: 'environment:acme/api/eu/prod west'
      }
    ],
    ['org:acme', { kind: 'org', owner: 'acme', name: 'PLANETSCALE_SERVICE_TOKEN_ID_ROTATION', label: 'org:acme' }],
    ['org:acme\tname=shared_rotation', { kind: 'org', owner: 'acme', name: 'shared_rotation', label: 'org:acme' }]
  ])('%j is parsed', (raw, expected) => {
    expect(parse({ journal: raw }).journal).toEqual(expected)
  })

  test('none turns it off', () => {
    expect(parse({ journal: ' none ' }).journal).toBeUndefined()
  })

  test('create reads it too', () => {
    expect(parse({ ...CREATE, journal: 'org:acme' }).journal?.label).toBe('org:acme')
    expect(parse(CREATE).journal?.label).toBe('repo:acme/api')
  })

  test.each([
    ['list', {}],
    ['delete', { 'token-id': 'zzz' }]
  ])('%s ignores it, even when malformed', (command, extra) => {
    expect(parse({ command, ...extra, journal: 'repo:' }).journal).toBeUndefined()
  })

  test.each(['rotate', 'create'])('%s without GITHUB_REPOSITORY asks to set it, or none', (command) => {
    const error = inputError(() => parse({ ...CREATE, command, targets: 'repo:acme/api' }, { GITHUB_RUN_ID: '1' }))
    expect(error.input).toBe('journal')
    expect(error.message).toBe(
      'Input "journal": is empty and GITHUB_REPOSITORY is not set: ' +
        'set journal, e.g. "repo:acme/api", or "none" to turn it off'
    )
  })

  test('without GITHUB_REPOSITORY an explicit journal, or none, is fine', () => {
    const env = { GITHUB_RUN_ID: '1' }
    expect(parse({ targets: 'repo:acme/api', journal: 'org:acme' }, env).journal?.label).toBe('org:acme')
    expect(parse({ targets: 'repo:acme/api', journal: 'none' }, env).journal).toBeUndefined()
  })

  test('a malformed GITHUB_REPOSITORY is reported against journal when targets are explicit', () => {
    const error = inputError(() => parse({ targets: 'org:acme' }, { ...ENV, GITHUB_REPOSITORY: 'nonsense' }))
    expect(error.input).toBe('journal')
    expect(error.message).toContain('GITHUB_REPOSITORY "nonsense" is not OWNER/REPO')
  })

  test.each([
    ['acme', 'not a journal location'],
    ['None', 'not a journal location'],
    ['false', 'not a journal location'],
    ['repo:acme', 'expected OWNER/REPO after "repo:"'],
    ['repo:acme/api/x', 'expected OWNER/REPO after "repo:"'],
    ['acme/api/x', 'expected OWNER/REPO;'],
    ['repo:-acme/api', 'owner "-acme" is not a GitHub account name'],
    ['repo:acme/a b', 'unexpected extra part after OWNER/REPO'],
    ['repo:acme/api name = X', 'unexpected extra part after OWNER/REPO'],
    ['repo:acme/..', 'repository ".." is not a GitHub repository name'],
    ['environment:acme/api', 'expected OWNER/REPO/ENVIRONMENT after "environment:"'],
    ['environment:acme/api/', 'missing environment name'],
    [`environment:acme/api/${'e'.repeat(256)}`, 'environment name longer than 255 characters'],
    ['environment:acme_co/api/prod', 'owner "acme_co" is not a GitHub account name'],
    ['org:', 'missing organization'],
    ['org:acme/api', 'organization "acme/api" is not a GitHub account name'],
    ['org:acme extra', 'unexpected extra part after the organization'],
    ['org:acme visibility=all', 'unknown option "visibility=all"'],
    ['dependabot:acme/api', 'Dependabot has no configuration variables'],
    ['dependabot-org:acme', 'Dependabot has no configuration variables'],
    ['variable:acme/api', 'unknown scope "variable:"'],
    ['Repo:acme/api', 'unknown scope "Repo:"'],
    ['repo:acme/api name=', 'name= has no value'],
    ['repo:acme/api name=A name=B', 'name= is given twice'],
    ['repo:acme/api name=1X', 'in name=: "1X" is not a valid variable name'],
    ['repo:acme/api name=MY-VAR', 'in name=: "MY-VAR" is not a valid variable name'],
    ['repo:acme/api name=github_journal', 'GitHub reserves variable names starting with GITHUB_'],
    ['name=X', 'not a journal location']
  ])('%j is rejected', (raw, fragment) => {
    const error = inputError(() => parse({ journal: raw }))
    expect(error.input).toBe('journal')
    expect(error.message).toContain(fragment)
    expect(error.message).toContain('"repo:OWNER/REPO", "environment:OWNER/REPO/ENVIRONMENT" or "org:ORG"')
  })

  test('an invalid name suggests the default one', () => {
    expect(inputError(() => parse({ journal: 'org:acme name=a.b' })).message).toContain(
      'e.g. "PLANETSCALE_SERVICE_TOKEN_ID_ROTATION"'
    )
  })

  test('the message quotes the value as written', () => {
    expect(inputError(() => parse({ journal: ' org:acme  visibility=all ' })).message).toMatch(
      /^Input "journal": "org:acme {2}visibility=all": unknown option "visibility=all"; expected /
    )
  })
})
