// The `targets` grammar: one target a line, see the action contract.
import { InputError } from '../errors.js'
import { environmentProblem, ownerProblem, repoProblem } from './github-names.js'
import { contentLines, hasWhitespace, quote } from './text.js'

export type Visibility = 'all' | 'private' | 'selected'
export const VISIBILITIES: readonly Visibility[] = ['all', 'private', 'selected']

/** A parsed `targets` line. `label` is the canonical form used in logs and the summary. */
export type TargetSpec =
  | { kind: 'repo'; label: string; owner: string; repo: string }
  | { kind: 'environment'; label: string; owner: string; repo: string; environment: string }
  | { kind: 'dependabot'; label: string; owner: string; repo: string }
  | {
      kind: 'org' | 'dependabot-org'
      label: string
      org: string
      /** Absent: keep an existing secret's visibility; a new one is `private`. */
      visibility?: Visibility
      /** With `selected`: repository names (`REPO` in the org, or `OWNER/REPO`). */
      selectedRepositories?: string[]
    }

type Kind = TargetSpec['kind']

const SYNTAX: Record<Kind, string> = {
  repo: '"repo:OWNER/REPO" (or "OWNER/REPO"), e.g. "repo:acme/api"',
  environment: '"environment:OWNER/REPO/ENVIRONMENT", e.g. "environment:acme/api/production"',
  org:
    '"org:ORG [visibility=all|private|selected] [repositories=R1,R2]", ' +
    'e.g. "org:acme visibility=selected repositories=api,web"',
  dependabot: '"dependabot:OWNER/REPO", e.g. "dependabot:acme/api"',
  'dependabot-org':
    '"dependabot-org:ORG [visibility=all|private|selected] [repositories=R1,R2]", e.g. "dependabot-org:acme"'
}
const KINDS = Object.keys(SYNTAX) as Kind[]

type Fail = (problem: string) => never

function ownerRepo(rest: string, kind: 'repo' | 'dependabot', fail: Fail): { owner: string; repo: string } {
  if (hasWhitespace(rest)) fail(`unexpected extra part after OWNER/REPO: expected ${SYNTAX[kind]}`)
  const parts = rest.split('/')
  if (parts.length !== 2) fail(`expected ${SYNTAX[kind]}`)
  const [owner = '', repo = ''] = parts
  const problem = ownerProblem(owner, 'owner') ?? repoProblem(repo)
  if (problem !== undefined) fail(`${problem}; expected ${SYNTAX[kind]}`)
  return { owner, repo }
}

function environmentTarget(rest: string, fail: Fail): TargetSpec {
  const first = rest.indexOf('/')
  const second = first < 0 ? -1 : rest.indexOf('/', first + 1)
  if (second < 0) fail(`expected ${SYNTAX.environment}`)
  const owner = rest.slice(0, first)
  const repo = rest.slice(first + 1, second)
  // Everything after the second slash is the name: environments may contain "/" and spaces.
  const environment = rest.slice(second + 1).trim()
  const problem = ownerProblem(owner, 'owner') ?? repoProblem(repo) ?? environmentProblem(environment)
  if (problem !== undefined) fail(`${problem}; expected ${SYNTAX.environment}`)
  return { kind: 'environment', label: `environment:${owner}/${repo}/${environment}`, owner, repo, environment }
}

function selectedRepositories(value: string, kind: Kind, fail: Fail): string[] {
  const names: string[] = []
  const seen = new Set<string>()
  for (const name of value.split(',')) {
    const parts = name.split('/')
    const [first = '', second] = parts
    const problem =
      parts.length > 2
        ? `repository ${quote(name)} is not REPO or OWNER/REPO`
        : second === undefined
          ? repoProblem(first)
          : (ownerProblem(first, 'owner') ?? repoProblem(second))
    if (problem !== undefined)
      fail(`in repositories=: ${problem}; separate names with commas and no spaces, as in ${SYNTAX[kind]}`)
    if (!seen.has(name.toLowerCase())) names.push(name)
    seen.add(name.toLowerCase())
  }
  return names
}

function orgTarget(kind: 'org' | 'dependabot-org', rest: string, fail: Fail): TargetSpec {
  const [org = '', ...options] = rest.split(/\s+/).filter((word) => word !== '')
  const problem = ownerProblem(org, 'organization')
  if (problem !== undefined) fail(`${problem}; expected ${SYNTAX[kind]}`)
  const values = new Map<string, string>()
  for (const option of options) {
    const equals = option.indexOf('=')
    const key = equals < 0 ? option : option.slice(0, equals)
    if (equals < 0 || (key !== 'visibility' && key !== 'repositories')) {
      fail(`unknown option ${quote(option)}: expected ${SYNTAX[kind]}`)
    }
    if (values.has(key)) fail(`${key}= is given twice`)
    const value = option.slice(equals + 1)
    if (value === '') fail(`${key}= has no value: expected ${SYNTAX[kind]}`)
    values.set(key, value)
  }
  const target: TargetSpec = { kind, label: `${kind}:${org}`, org }
  const visibility = values.get('visibility')
  if (visibility !== undefined) {
    const known = VISIBILITIES.find((candidate) => candidate === visibility)
    if (known === undefined) fail(`visibility ${quote(visibility)} is not all, private or selected`)
    target.visibility = known
  }
  const repositories = values.get('repositories')
  if (visibility === 'selected' && repositories === undefined) {
    fail(`visibility=selected needs the repositories: expected ${SYNTAX[kind]}`)
  }
  if (repositories !== undefined) {
    if (visibility !== 'selected') fail('repositories= is only valid with visibility=selected')
    target.selectedRepositories = selectedRepositories(repositories, kind, fail)
  }
  return target
}

function parseLine(text: string, fail: Fail): TargetSpec {
  const colon = text.indexOf(':')
  if (colon < 0) {
    const { owner, repo } = ownerRepo(text, 'repo', fail)
    return { kind: 'repo', label: `repo:${owner}/${repo}`, owner, repo }
  }
  const kindText = text.slice(0, colon)
  const rest = text.slice(colon + 1).trim()
  const kind = KINDS.find((candidate) => candidate === kindText)
  switch (kind) {
    case 'repo':
    case 'dependabot': {
      const { owner, repo } = ownerRepo(rest, kind, fail)
      return { kind, label: `${kind}:${owner}/${repo}`, owner, repo }
    }
    case 'environment':
      return environmentTarget(rest, fail)
    case 'org':
    case 'dependabot-org':
      return orgTarget(kind, rest, fail)
    case undefined:
      return fail(
        `unknown target kind ${quote(kindText)}: ` +
          `expected one of ${KINDS.map((k) => `${k}:`).join(', ')}, e.g. "repo:acme/api"`
      )
  }
}

/** Parses the `targets` input. Returns [] when it holds only blank lines and comments. */
export function parseTargets(raw: string): TargetSpec[] {
  const targets: TargetSpec[] = []
  const firstLine = new Map<string, number>()
  for (const line of contentLines(raw)) {
    const fail: Fail = (problem) => {
      throw new InputError('targets', `line ${line.number} ${quote(line.text)}: ${problem}`)
    }
    const target = parseLine(line.text, fail)
    // GitHub account, repository and environment names are case-insensitive.
    const key = target.label.toLowerCase()
    const previous = firstLine.get(key)
    if (previous !== undefined) fail(`same target as line ${previous} (${target.label}): list each target once`)
    firstLine.set(key, line.number)
    targets.push(target)
  }
  return targets
}
