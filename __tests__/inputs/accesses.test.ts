import { describe, expect, test } from '@jest/globals'
import { parseAccesses } from '../../src/inputs/accesses.js'
import type { Grant } from '../../src/planetscale/types.js'
import { inputError, parse } from './helpers.js'

describe('valid accesses', () => {
  test.each<[string, string, Grant[]]>([
    [
      'one database',
      'database=app-db read_branch connect_branch',
      [{ database: 'app-db', access: ['read_branch', 'connect_branch'] }]
    ],
    ['organization', 'organization read_service_tokens', [{ database: '', access: ['read_service_tokens'] }]],
    [
      'organization first, then databases in order of appearance',
      'database=zeta read_branch\ndatabase=alpha read_branch\norganization read_databases',
      [
        { database: '', access: ['read_databases'] },
        { database: 'zeta', access: ['read_branch'] },
        { database: 'alpha', access: ['read_branch'] }
      ]
    ],
    [
      'the same database on two lines merges, duplicates dropped',
      'database=app read_branch create_branch\ndatabase=other read_branch\ndatabase=app create_branch connect_branch read_branch',
      [
        { database: 'app', access: ['read_branch', 'create_branch', 'connect_branch'] },
        { database: 'other', access: ['read_branch'] }
      ]
    ],
    [
      'organization on two lines merges',
      'organization read_service_tokens write_service_tokens\norganization delete_service_tokens read_service_tokens',
      [{ database: '', access: ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens'] }]
    ],
    [
      'comments, blank lines and extra spacing',
      '# grants\n\n  database=App_DB_2   read_branch\t connect_production_branch  # prod\n',
      [{ database: 'App_DB_2', access: ['read_branch', 'connect_production_branch'] }]
    ],
    [
      'database names are case-sensitive',
      'database=App x\ndatabase=app y',
      [
        { database: 'App', access: ['x'] },
        { database: 'app', access: ['y'] }
      ]
    ],
    ['only comments', '# none\n\n', []]
  ])('%s', (_name, raw, expected) => {
    expect(parseAccesses(raw)).toEqual(expected)
  })
})

describe('malformed accesses', () => {
  test.each([
    ['no permissions', 'database=app', 'no permissions'],
    ['organization without permissions', 'organization', 'no permissions'],
    [
      'unknown head',
      'db=app read_branch',
      'expected "database=<name> <permission> …" or "organization <permission> …"'
    ],
    ['space around =', 'database = app read_branch', 'expected "database=<name>'],
    ['empty database name', 'database= read_branch', '"" is not a database name'],
    ['database name starting with -', 'database=-app read_branch', '"-app" is not a database name'],
    ['database name with a dot', 'database=app.db read_branch', '"app.db" is not a database name'],
    ['organization with a name', 'organization=acme read_databases', 'expected "database=<name>'],
    ['capitalised permission', 'database=app Read_branch', '"Read_branch" is not a permission name'],
    ['permission with a hyphen', 'organization read-databases', '"read-databases" is not a permission name'],
    ['permission starting with a digit', 'organization 1read', '"1read" is not a permission name'],
    [
      'comma-separated permissions',
      'database=app read_branch,connect_branch',
      'separate permissions with spaces, not commas'
    ]
  ])('%s: %j', (_name, line, fragment) => {
    const error = inputError(() => parseAccesses(`organization read_databases\n${line}`))
    expect(error.input).toBe('accesses')
    expect(error.message).toContain(`line 2 ${JSON.stringify(line)}`)
    expect(error.message).toContain(fragment)
  })
})

test('parseInputs passes create accesses through', () => {
  const config = parse({ command: 'create', accesses: 'database=app read_branch\norganization read_databases' })
  expect(config.accesses).toEqual([
    { database: '', access: ['read_databases'] },
    { database: 'app', access: ['read_branch'] }
  ])
})
