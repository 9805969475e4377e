// The `journal` input: which GitHub Actions configuration variable holds the rotation journal.
import { InputError } from '../errors.js'
import type { JournalLocation } from './config.js'
import { environmentProblem, ownerProblem, repoProblem } from './github-names.js'
import { secretNameProblem } from './secret-names.js'
import { hasWhitespace, quote } from './text.js'

const SYNTAX =
  '"repo:OWNER/REPO", "environment:OWNER/REPO/ENVIRONMENT" or "org:ORG", ' +
  'optionally followed by " name=VARIABLE" (e.g. "org:acme name=API_TOKEN_ROTATION"), or "none"'

const EXTRA_HINT = ' (the only option is "name=VARIABLE", without spaces)'

type Scope = Omit<JournalLocation, 'name'>

/** The scope part, without options. Returns the problem as a string. */
function parseScope(text: string): Scope | string {
  const colon = text.indexOf(':')
  const kind = colon < 0 ? undefined : text.slice(0, colon)
  const rest = colon < 0 ? text : text.slice(colon + 1).trim()
  // `OWNER/REPO` alone is a repository, as in `targets`.
  if (kind === undefined || kind === 'repo') {
    if (colon < 0 && !rest.includes('/')) return 'not a journal location'
    const parts = rest.split('/')
    if (hasWhitespace(rest)) return `unexpected extra part after OWNER/REPO${EXTRA_HINT}`
    if (parts.length !== 2) return `expected OWNER/REPO${kind === undefined ? '' : ' after "repo:"'}`
    const [owner = '', repo = ''] = parts
    return (
      ownerProblem(owner, 'owner') ?? repoProblem(repo) ?? { kind: 'repo', owner, repo, label: `repo:${owner}/${repo}` }
    )
  }
  if (kind === 'environment') {
    const first = rest.indexOf('/')
    const second = first < 0 ? -1 : rest.indexOf('/', first + 1)
    if (second < 0) return 'expected OWNER/REPO/ENVIRONMENT after "environment:"'
    const owner = rest.slice(0, first)
    const repo = rest.slice(first + 1, second)
    // Everything after the second slash is the name, as in `targets`: environments may contain "/" and spaces.
    const environment = rest.slice(second + 1).trim()
    return (
      ownerProblem(owner, 'owner') ??
      repoProblem(repo) ??
      environmentProblem(environment) ?? {
        kind: 'environment',
        owner,
        repo,
        environment,
        label: `environment:${owner}/${repo}/${environment}`
      }
    )
  }
  if (kind === 'org') {
    if (hasWhitespace(rest)) return `unexpected extra part after the organization${EXTRA_HINT}`
    return ownerProblem(rest, 'organization') ?? { kind: 'org', owner: rest, label: `org:${rest}` }
  }
  if (kind === 'dependabot' || kind === 'dependabot-org') {
    return 'Dependabot has no configuration variables to hold the journal: use repo:, environment: or org:'
  }
  return `unknown scope ${quote(`${kind}:`)}`
}

/**
 * Parses `journal` (rotate and create only).
 * @param repository GITHUB_REPOSITORY, for the default `repo:` journal
 * @param idSecretName names the default variable, `<id-secret-name>_ROTATION`
 * @returns undefined for `none`
 */
export function parseJournal(
  raw: string,
  repository: string | undefined,
  idSecretName: string
): JournalLocation | undefined {
  const value = raw.trim()
  if (value === 'none') return undefined
  const defaultName = `${idSecretName}_ROTATION`

  if (value === '') {
    const scope = repository === undefined ? undefined : parseScope(`repo:${repository}`)
    if (scope === undefined || typeof scope === 'string') {
      const why =
        repository === undefined
          ? 'GITHUB_REPOSITORY is not set'
          : `GITHUB_REPOSITORY ${quote(repository)} is not OWNER/REPO`
      throw new InputError(
        'journal',
        `is empty and ${why}: set journal, e.g. "repo:acme/api", or "none" to turn it off`
      )
    }
    return { ...scope, name: defaultName }
  }

  const fail = (problem: string): never => {
    throw new InputError('journal', `${quote(value)}: ${problem}; expected ${SYNTAX}`)
  }
  // Options are the trailing `key=value` words; the rest is the scope (an environment name may hold spaces).
  const [, scopeText = '', optionsText = ''] = /^(.*?)((?:\s+[^\s=]*=\S*)*)$/s.exec(value) ?? []
  let name: string | undefined
  for (const option of optionsText.split(/\s+/).filter((word) => word !== '')) {
    const equals = option.indexOf('=')
    const key = option.slice(0, equals)
    const optionValue = option.slice(equals + 1)
    if (key !== 'name') fail(`unknown option ${quote(option)}`)
    if (name !== undefined) fail('name= is given twice')
    if (optionValue === '') fail('name= has no value')
    const problem = secretNameProblem(optionValue, 'variable name', defaultName)
    if (problem !== undefined) fail(`in name=: ${problem}`)
    name = optionValue
  }
  const scope = parseScope(scopeText)
  if (typeof scope === 'string') return fail(scope)
  return { ...scope, name: name ?? defaultName }
}
