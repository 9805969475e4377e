// Runs the bundled action as a runner would: a child process, INPUT_* variables, and
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. Shared by the demo, the end-to-end tests and the bench.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const BUNDLE = resolve(import.meta.dirname, '../../dist/index.js')

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
  node?: string
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
      const child = spawn(options.node ?? process.execPath, [BUNDLE], { env, stdio: ['ignore', 'pipe', 'pipe'] })
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
