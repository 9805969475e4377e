import { describe, expect, test } from '@jest/globals'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cell, fillMarkers, lintWorkflowUsage, parseActionMetadata } from '../../scripts/docs.js'

const actionYml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
const meta = parseActionMetadata(actionYml)

describe('action.yml as documented', () => {
  test('every input and output of the contract is declared, with node24 and dist/index.js', () => {
    expect(meta.inputs.map((i) => i.name)).toEqual([
      'command',
      'organization',
      'service-token-id',
      'service-token',
      'token-id',
      'targets',
      'github-token',
      'id-secret-name',
      'token-secret-name',
      'token-name',
      'accesses',
      'ttl',
      'min-age',
      'delete-previous',
      'journal',
      'dry-run',
      'export-env',
      'max-age',
      'unused-for',
      'fail-on',
      'delete-unused',
      'ignore',
      'planetscale-api-url',
      'github-api-url'
    ])
    expect(meta.outputs.map((o) => o.name).sort()).toEqual(
      [
        'expires-at',
        'previous-token-deleted',
        'previous-token-id',
        'previous-token-retires-at',
        'repaired',
        'rotated',
        'targets-written',
        'token',
        'token-id',
        'tokens',
        'findings',
        'findings-count',
        'deleted'
      ].sort()
    )
    expect(actionYml).toMatch(/using: node24\n\s+main: dist\/index\.js/)
  })

  test('metadata problems are refused', () => {
    expect(() => parseActionMetadata(actionYml.replace('using: node24', 'using: node12'))).toThrow(/runs/)
    expect(() =>
      parseActionMetadata(actionYml.replace('    description: PlanetScale organization name.\n', ''))
    ).toThrow(/inputs\.organization\.description/)
  })

  test('README blocks are filled between markers and escaped', () => {
    const filled = fillMarkers('a\n<!-- inputs:start -->\nSTALE ROW\n<!-- inputs:end -->\nb', meta)
    expect(filled).toContain('| `service-token-id` |')
    expect(filled).not.toContain('STALE ROW')
    expect(filled.endsWith('b')).toBe(true)
    expect(cell('a|b')).toBe('a\\|b')
    expect(() => fillMarkers('<!-- inputs:start --> <!-- inputs:start --> <!-- inputs:end -->', meta)).toThrow(
      /expected one/
    )
  })

  test('workflow usage lint catches unknown inputs and outputs', () => {
    const workflow = `on: push
jobs:
  r:
    runs-on: ubuntu-latest
    steps:
      - id: rot
        uses: org/pscale-token-action@v1
        with:
          organization: acme
          service-token-id: x
          service-token: y
          tokn-name: z
      - run: echo "\${{ steps.rot.outputs.rotatd }}"
`
    const problems = lintWorkflowUsage(workflow, 'w.yml', meta)
    expect(problems.join('\n')).toMatch(/tokn-name/)
    expect(problems.join('\n')).toMatch(/rotatd/)
  })
})

// ---- The adopter's docs: README size, links, and no path outside the repository ----------------

const root = fileURLToPath(new URL('../../', import.meta.url))
const README_LIMIT_BYTES = 16_384

/** README.md and every Markdown file under docs/. */
function markdownFiles(): string[] {
  const docs = join(root, 'docs')
  return [
    join(root, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f))
  ]
}

/** Markdown with fenced code blocks and inline code spans blanked out: links inside code are not links. */
function withoutCode(markdown: string): string {
  const lines = markdown.split('\n')
  let fence: string | undefined
  const kept = lines.map((line) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence === undefined && opening) {
      fence = opening[1]![0]!.repeat(opening[1]!.length)
      return ''
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined
      return ''
    }
    return line.replace(/(`+)[^`]*?\1/g, '')
  })
  return kept.join('\n')
}

/** Targets of inline links and images, `[text](target "title")`, and of reference definitions, `[ref]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown)
  const targets: string[] = []
  for (const [, raw] of text.matchAll(/\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g))
    targets.push(raw!.replace(/^<|>$/g, ''))
  for (const [, raw] of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(\S+)/gm)) targets.push(raw!.replace(/^<|>$/g, ''))
  return targets
}

/**
 * GitHub's anchor for a heading: the rendered text in lower case, every character that is not a
 * letter, a digit, a space, '-' or '_' dropped, spaces turned into '-'.
 */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '')
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a Markdown file offers: its headings (repeats get -1, -2, … as on GitHub) and explicit `<a id|name>`. */
export function anchorsOf(markdown: string): Set<string> {
  const text = withoutCode(markdown)
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, heading] of text.matchAll(/^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = githubSlug(heading!)
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  for (const [, id] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id!)
  return anchors
}

/** Relative links of `file` that lead to no file in the repository, or to no heading of a Markdown file. */
export function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined): string[] {
  const problems: string[] = []
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue // https:, mailto:, …
    const hash = target.indexOf('#')
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash))
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
    const resolved = pathPart === '' ? file : resolve(dirname(file), pathPart)
    const where = `${relative(root, file)}: (${target})`
    if (relative(root, resolved).startsWith('..') || pathPart.startsWith('/')) {
      problems.push(`${where} points outside the repository`)
      continue
    }
    if (!existsSync(resolved)) {
      problems.push(`${where}: ${relative(root, resolved)} does not exist`)
      continue
    }
    if (anchor === undefined || anchor === '' || !resolved.endsWith('.md')) continue
    const content = read(resolved)
    if (content === undefined || !anchorsOf(content).has(anchor))
      problems.push(`${where}: no heading "#${anchor}" in ${relative(root, resolved)}`)
  }
  return problems
}

/** Text files under `dir` (recursively), skipping generated output. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  if (statSync(dir).isFile()) return [dir]
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || path === join(root, 'bench', 'results') ? [] : filesUnder(path)
    return /\.(md|ya?ml|ts|mts|js|mjs|cjs|json|sh|txt)$/.test(entry.name) ? [path] : []
  })
}

describe('the adopter docs', () => {
  test('README.md names every output (its list is written by hand; docs/inputs.md has the table)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(meta.outputs.map((o) => o.name).filter((name) => !readme.includes(`\`${name}\``))).toEqual([])
  })

  test(`README.md is at most ${README_LIMIT_BYTES} bytes`, () => {
    const size = statSync(join(root, 'README.md')).size
    expect({ file: 'README.md', bytes: size, fits: size <= README_LIMIT_BYTES }).toEqual({
      file: 'README.md',
      bytes: size,
      fits: true
    })
  })

  test('GitHub anchors and link extraction follow GitHub’s rules', () => {
    expect(githubSlug("Past GitHub's write limit")).toBe('past-githubs-write-limit')
    expect(githubSlug('One token per repository (`command: create`)')).toBe('one-token-per-repository-command-create')
    expect(githubSlug('What it does, and why it is safe')).toBe('what-it-does-and-why-it-is-safe')
    expect(githubSlug('`list` and `delete`')).toBe('list-and-delete')
    expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1'])
    expect(linkTargets('[a](x.md) `[b](y.md)` ![c](img.png "t")\n```\n[d](z.md)\n```\n[e]: ref.md')).toEqual([
      'x.md',
      'img.png',
      'ref.md'
    ])
    const readme = join(root, 'README.md')
    expect(
      brokenLinks(
        readme,
        '[ok](LICENSE) [gone](docs/nope.md) [bad](#no-such-heading) [web](https://example.com)',
        (p) => readFileSync(p, 'utf8')
      )
    ).toEqual([
      'README.md: (docs/nope.md): docs/nope.md does not exist',
      'README.md: (#no-such-heading): no heading "#no-such-heading" in README.md'
    ])
  })

  test('every relative link in README.md and docs/*.md resolves to a file, and an #anchor to a heading', () => {
    const read = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined)
    const problems = markdownFiles().flatMap((file) => brokenLinks(file, readFileSync(file, 'utf8'), read))
    expect(problems).toEqual([])
  })

  test('README.md links every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const linked = new Set(linkTargets(readme).map((t) => t.split('#')[0]))
    const pages = readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`)
    expect(pages.filter((page) => !linked.has(page))).toEqual([])
  })

  test('no file of the action, its docs or its tooling points outside the repository', () => {
    const places = ['README.md', 'docs', 'examples', 'src', 'scripts', 'bench', 'emulator', 'action.yml'].map((p) =>
      join(root, p)
    )
    const outside = /\/work\/|shared\/spec|\.\.\/shared/
    const problems = places.flatMap(filesUnder).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : []))
    )
    expect(problems).toEqual([])
  })
})
