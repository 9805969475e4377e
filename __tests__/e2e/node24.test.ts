// The action runs on Node 24 (`runs.using: node24`): every end-to-end run starts the bundle under a
// real Node 24 binary, from scripts/node24.sh, resolved once per jest run (__tests__/global-setup.mjs).
import { expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { TEST_NODE_ENV, defaultNode } from '../../scripts/lib/run-bundle.js'
import { findLeaks, heldPair, invariantViolations, runAction, startDemoScenario } from './harness.js'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/node24.sh')
/** Installed by the global setup; a call now only prints the path. */
const printedPath = (): string =>
  execFileSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()

test('scripts/node24.sh prints the path of a Node 24 binary', () => {
  const node24 = printedPath()
  expect(node24).toMatch(/\/node$/)
  expect(execFileSync(node24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./)
  expect(printedPath()).toBe(node24)
})

test("jest's global setup resolved it for this run, and runAction defaults to it", () => {
  // Unless the run was given another Node 24 through the variable (then it is checked to be 24).
  const given = process.env[TEST_NODE_ENV]
  expect(given).toBeDefined()
  expect(execFileSync(given!, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./)
  expect(defaultNode()).toBe(given)
})

test("the demo scenario's rotation runs from the bundle, by default, under Node 24", async () => {
  const s = await startDemoScenario()
  try {
    // The process that runs dist/index.js prints its own version first (NODE_OPTIONS reaches it, and only it).
    const printVersion = "--import=data:text/javascript,console.log('node-version='+process.version)"
    const run = await runAction(s.inputs, { env: { ...s.env, NODE_OPTIONS: printVersion } })
    expect(run.stdout).toMatch(/^node-version=v24\.\d+\.\d+$/m)
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
