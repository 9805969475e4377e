import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { cell, fillMarkers, lintWorkflowUsage, parseActionMetadata } from '../../scripts/docs.js'

const actionYml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
const meta = parseActionMetadata(actionYml)

describe('action.yml as documented', () => {
  test('every input and output of the contract is declared, with node24 and dist/index.js', () => {
    expect(meta.inputs.map((i) => i.name)).toEqual([
      'command', 'organization', 'service-token-id', 'service-token', 'token-id', 'targets', 'github-token',
      'id-secret-name', 'token-secret-name', 'token-name', 'accesses', 'ttl', 'min-age', 'delete-previous',
      'dry-run', 'planetscale-api-url', 'github-api-url'
    ])
    expect(meta.outputs.map((o) => o.name).sort()).toEqual(
      ['expires-at', 'previous-token-deleted', 'previous-token-id', 'rotated', 'targets-written', 'token-id', 'tokens'].sort()
    )
    expect(actionYml).toMatch(/using: node24\n\s+main: dist\/index\.js/)
  })

  test('metadata problems are refused', () => {
    expect(() => parseActionMetadata(actionYml.replace('using: node24', 'using: node12'))).toThrow(/runs/)
    expect(() => parseActionMetadata(actionYml.replace('    description: PlanetScale organization name.\n', ''))).toThrow(/inputs\.organization\.description/)
  })

  test('README blocks are filled between markers and escaped', () => {
    const filled = fillMarkers('a\n<!-- inputs:start -->\nSTALE ROW\n<!-- inputs:end -->\nb', meta)
    expect(filled).toContain('| `service-token-id` |')
    expect(filled).not.toContain('STALE ROW')
    expect(filled.endsWith('b')).toBe(true)
    expect(cell('a|b')).toBe('a\\|b')
    expect(() => fillMarkers('<!-- inputs:start --> <!-- inputs:start --> <!-- inputs:end -->', meta)).toThrow(/expected one/)
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
