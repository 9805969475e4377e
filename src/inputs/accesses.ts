// The `accesses` grammar: `database=<name> <perm> …` or `organization <perm> …`, one a line.
import { InputError } from '../errors.js'
import type { Grant } from '../planetscale/types.js'
import { contentLines, quote } from './text.js'

const PERMISSION = /^[a-z][a-z0-9_]*$/
const DATABASE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const SYNTAX =
  '"database=<name> <permission> …" or "organization <permission> …", ' +
  'e.g. "database=app-db read_branch connect_branch"'

/**
 * Parses `accesses` into one grant per resource: the organization's first (database ""),
 * then databases in order of first appearance. Lines naming the same resource merge.
 * Returns [] when the input holds only blank lines and comments.
 */
export function parseAccesses(raw: string): Grant[] {
  // Keyed by database name, "" for the organization; Map keeps first-appearance order.
  const byResource = new Map<string, string[]>()
  for (const line of contentLines(raw)) {
    const fail = (problem: string): never => {
      throw new InputError('accesses', `line ${line.number} ${quote(line.text)}: ${problem}`)
    }
    const [head = '', ...permissions] = line.text.split(/\s+/)
    let database: string
    if (head === 'organization') {
      database = ''
    } else if (head.startsWith('database=')) {
      database = head.slice('database='.length)
      if (!DATABASE.test(database)) {
        fail(
          `${quote(database)} is not a database name (letters, digits, "-" and "_", starting with a letter or digit)`
        )
      }
    } else {
      return fail(`expected ${SYNTAX}`)
    }
    if (permissions.length === 0) fail(`no permissions: expected ${SYNTAX}`)
    for (const permission of permissions) {
      if (!PERMISSION.test(permission)) {
        const hint = permission.includes(',') ? '; separate permissions with spaces, not commas' : ''
        fail(
          `${quote(permission)} is not a permission name (lower-case letters, digits and _, e.g. read_branch)${hint}`
        )
      }
    }
    const access = byResource.get(database) ?? []
    byResource.set(database, access)
    for (const permission of permissions) if (!access.includes(permission)) access.push(permission)
  }
  const grants = [...byResource].map(([database, access]): Grant => ({ database, access }))
  // Stable sort: the organization grant first, databases keep their order.
  return grants.sort((a, b) => Number(a.database !== '') - Number(b.database !== ''))
}
