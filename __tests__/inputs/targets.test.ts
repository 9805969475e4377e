import { describe, expect, test } from '@jest/globals'
import { parseTargets } from '../../src/inputs/targets.js'
import type { TargetSpec } from '../../src/inputs/targets.js'
import { inputError, parse } from './helpers.js'

describe('every target kind', () => {
  test.each<[string, TargetSpec]>([
    ['repo:acme/api', { kind: 'repo', label: 'repo:acme/api', owner: 'acme', repo: 'api' }],
    ['Acme-Corp/My.Repo_2', { kind: 'repo', label: 'repo:Acme-Corp/My.Repo_2', owner: 'Acme-Corp', repo: 'My.Repo_2' }],
    ['repo: acme/api', { kind: 'repo', label: 'repo:acme/api', owner: 'acme', repo: 'api' }],
    [
      'environment:acme/api/production',
      {
        kind: 'environment',
        label: 'environment:acme/api/production',
        owner: 'acme',
        repo: 'api',
        environment: 'production'
      }
    ],
    [
      'environment:acme/api/eu/Prod West',
      {
        kind: 'environment',
        label: 'environment:acme/api/eu/Prod West',
        owner: 'acme',
        repo: 'api',
        environment: 'eu/Prod West'
      }
    ],
    ['org:acme', { kind: 'org', label: 'org:acme', org: 'acme' }],
    ['org:acme visibility=all', { kind: 'org', label: 'org:acme', org: 'acme', visibility: 'all' }],
    ['org:acme   visibility=private', { kind: 'org', label: 'org:acme', org: 'acme', visibility: 'private' }],
    [
      'org:acme visibility=selected repositories=api,other/web,api',
      {
        kind: 'org',
        label: 'org:acme',
        org: 'acme',
        visibility: 'selected',
        selectedRepositories: ['api', 'other/web']
      }
    ],
    [
      'org:acme repositories=api visibility=selected',
      { kind: 'org', label: 'org:acme', org: 'acme', visibility: 'selected', selectedRepositories: ['api'] }
    ],
    ['dependabot:acme/api', { kind: 'dependabot', label: 'dependabot:acme/api', owner: 'acme', repo: 'api' }],
    ['dependabot-org:Acme', { kind: 'dependabot-org', label: 'dependabot-org:Acme', org: 'Acme' }],
    [
      'dependabot-org:acme visibility=private',
      { kind: 'dependabot-org', label: 'dependabot-org:acme', org: 'acme', visibility: 'private' }
    ],
    [
      'dependabot-org:acme visibility=selected repositories=api',
      {
        kind: 'dependabot-org',
        label: 'dependabot-org:acme',
        org: 'acme',
        visibility: 'selected',
        selectedRepositories: ['api']
      }
    ]
  ])('%j', (line, expected) => {
    expect(parseTargets(line)).toEqual([expected])
  })
})

describe('lines and comments', () => {
  test('blank lines, comment lines and trailing comments are ignored; order is kept', () => {
    const raw = [
      '# where the pair goes',
      '',
      'repo:acme/api  # the app',
      '   ',
      '\tenvironment:acme/api/prod # prod only'
    ].join('\r\n')
    expect(parseTargets(raw).map((target) => target.label)).toEqual(['repo:acme/api', 'environment:acme/api/prod'])
  })

  test('a # not preceded by whitespace is part of the value, and line numbers count every line', () => {
    const error = inputError(() => parseTargets('# header\n\norg:acme#x'))
    expect(error.message).toContain('line 3 "org:acme#x": organization "acme#x"')
  })

  test('an environment name may contain # when it is not after a space (Octokit encodes it)', () => {
    expect(parseTargets('environment:acme/api/prod#2')[0]).toMatchObject({ environment: 'prod#2' })
  })

  test('only comments give no targets', () => {
    expect(parseTargets('# nothing yet\n\n')).toEqual([])
  })
})

describe('malformed targets', () => {
  test.each([
    ['unknown kind', 'repository:acme/api', 'unknown target kind "repository"', '"repo:acme/api"'],
    ['kind is case-sensitive', 'Repo:acme/api', 'unknown target kind "Repo"', 'repo:'],
    ['bare name without repo', 'acme', 'expected "repo:OWNER/REPO"', 'e.g. "repo:acme/api"'],
    ['missing repo', 'repo:acme/', 'missing repository name', 'e.g. "repo:acme/api"'],
    ['missing owner', 'repo:/api', 'missing owner', 'e.g. "repo:acme/api"'],
    ['extra path part', 'repo:acme/api/extra', 'expected "repo:OWNER/REPO"', 'e.g. "repo:acme/api"'],
    ['extra word', 'repo:acme/api visibility=all', 'unexpected extra part', 'e.g. "repo:acme/api"'],
    ['owner with underscore', 'repo:ac_me/api', 'owner "ac_me" is not a GitHub account name', 'e.g. "repo:acme/api"'],
    ['owner with double hyphen', 'repo:ac--me/api', 'is not a GitHub account name', 'repo:OWNER/REPO'],
    ['owner with leading hyphen', 'repo:-acme/api', 'is not a GitHub account name', 'repo:OWNER/REPO'],
    ['owner too long', `repo:${'a'.repeat(40)}/api`, 'is not a GitHub account name', 'repo:OWNER/REPO'],
    ['repo "."', 'repo:acme/.', 'repository "." is not a GitHub repository name', 'repo:OWNER/REPO'],
    ['repo ".."', 'dependabot:acme/..', 'repository ".." is not', 'dependabot:OWNER/REPO'],
    ['repo with bad character', 'dependabot:acme/a+b', 'repository "a+b"', 'e.g. "dependabot:acme/api"'],
    [
      'environment without name',
      'environment:acme/api/',
      'missing environment name',
      'e.g. "environment:acme/api/production"'
    ],
    ['environment without repo', 'environment:acme/api', 'expected "environment:OWNER/REPO/ENVIRONMENT"', 'production'],
    ['environment with bad owner', 'environment:a_b/api/prod', 'owner "a_b"', 'ENVIRONMENT'],
    ['environment name too long', `environment:acme/api/${'e'.repeat(256)}`, 'longer than 255', 'ENVIRONMENT'],
    ['org missing', 'org:', 'missing organization', 'e.g. "org:acme'],
    ['org given a repo', 'org:acme/api', 'organization "acme/api"', 'org:ORG'],
    [
      'unknown org option',
      'org:acme scope=all',
      'unknown option "scope=all"',
      'visibility=selected repositories=api,web'
    ],
    ['option without =', 'org:acme private', 'unknown option "private"', 'org:ORG'],
    ['unknown visibility', 'org:acme visibility=public', 'visibility "public" is not all, private or selected', ''],
    ['empty visibility', 'org:acme visibility=', 'visibility= has no value', 'org:ORG'],
    ['repeated option', 'org:acme visibility=all visibility=private', 'visibility= is given twice', ''],
    ['selected without repositories', 'org:acme visibility=selected', 'needs the repositories', 'repositories=api,web'],
    ['repositories without selected', 'org:acme repositories=api', 'only valid with visibility=selected', ''],
    [
      'repositories with visibility=all',
      'org:acme visibility=all repositories=api',
      'only valid with visibility=selected',
      ''
    ],
    [
      'empty repository in list',
      'org:acme visibility=selected repositories=api,,web',
      'missing repository name',
      'no spaces'
    ],
    ['space after comma', 'org:acme visibility=selected repositories=api, web', 'unknown option "web"', ''],
    [
      'repository with too many slashes',
      'org:acme visibility=selected repositories=a/b/c',
      'is not REPO or OWNER/REPO',
      ''
    ],
    ['dependabot-org unknown option', 'dependabot-org:acme foo=bar', 'unknown option "foo=bar"', 'dependabot-org:ORG']
  ])('%s: %j', (_name, line, fragment, example) => {
    const error = inputError(() => parseTargets(`# first line\n${line}`))
    expect(error.input).toBe('targets')
    expect(error.message).toContain(`line 2 ${JSON.stringify(line.length > 100 ? `${line.slice(0, 100)}…` : line)}`)
    expect(error.message).toContain(fragment)
    expect(error.message).toContain(example)
  })
})

describe('duplicates', () => {
  test.each([
    ['repo:acme/api', 'acme/api'],
    ['repo:acme/api', 'repo:ACME/Api'],
    ['environment:acme/api/prod', 'environment:Acme/api/Prod'],
    ['org:acme', 'org:acme visibility=all'],
    ['dependabot-org:acme', 'dependabot-org:ACME'],
    ['dependabot:acme/api', 'dependabot:acme/API']
  ])('%j then %j is an error naming both lines', (first, second) => {
    const error = inputError(() => parseTargets(`${first}\n\n${second}`))
    expect(error.input).toBe('targets')
    expect(error.message).toContain('line 3')
    expect(error.message).toContain('same target as line 1')
  })

  test.each([
    ['repo:acme/api', 'dependabot:acme/api'],
    ['org:acme', 'dependabot-org:acme'],
    ['environment:acme/api/prod', 'environment:acme/api/staging'],
    ['repo:acme/api', 'environment:acme/api/prod']
  ])('%j and %j are different targets', (first, second) => {
    expect(parseTargets(`${first}\n${second}`)).toHaveLength(2)
  })
})

test('parseInputs passes targets through', () => {
  const config = parse({
    targets: 'acme/api\nenvironment:acme/api/prod\norg:acme visibility=selected repositories=api'
  })
  expect(config.targets.map((target) => target.label)).toEqual([
    'repo:acme/api',
    'environment:acme/api/prod',
    'org:acme'
  ])
})
