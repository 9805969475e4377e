// Cold start: from spawning `node dist/index.js` to its first request reaching the emulator.
// Both ends are read on this process's performance.now() (the emulator runs here), so no
// clock alignment is needed; the spawn mark is taken just before runAction, which first
// creates two small files (well under 1 ms).
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { performance } from 'node:perf_hooks'
import { BUNDLE, runAction } from '../scripts/lib/run-bundle.js'
import { median } from './metrics.js'
import { startBenchScenario } from './scenario.js'

export interface ColdStart {
  runs: number[]
  medianMs: number
  minMs: number
  maxMs: number
  /** The same measure for `node -e "fetch(...)"`: what Node itself costs before any bundle code. */
  nodeFloorMedianMs: number
  /** The same dry runs, interleaved, with the bundle of BEFORE_COMMIT; absent when git cannot show it. */
  before?: { commit: string; medianMs: number; size: BundleSize }
}

/**
 * The last commit before the proxy support (issue 12) brought @actions/github, @actions/http-client
 * and undici into the bundle: its dist/index.js is measured side by side with the current one.
 */
export const BEFORE_COMMIT = 'ae7cd1d'

/** dist/index.js as committed at `commit`, in a temporary directory; undefined without git history. */
function bundleAt(commit: string): { file: string; cleanup: () => void } | undefined {
  try {
    const text = execFileSync('git', ['show', `${commit}:dist/index.js`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore']
    })
    const dir = mkdtempSync(join(tmpdir(), 'pscale-bench-before-'))
    const file = join(dir, 'index.js')
    writeFileSync(file, text)
    return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
  } catch {
    return undefined
  }
}

export async function measureColdStart(runs: number, node?: string): Promise<ColdStart> {
  const s = await startBenchScenario(['repo:acme/api'], { latencyMs: 0 })
  const before = bundleAt(BEFORE_COMMIT)
  try {
    const once = async (bundle?: string): Promise<number> => {
      s.emu.clearLog()
      const started = performance.now()
      // A dry run: the same start-up, no state change, so one seeded emulator serves every run.
      const run = await runAction({ ...s.inputs, 'dry-run': 'true' }, { timeoutMs: 30_000, node, bundle })
      if (run.code !== 0 || s.emu.log.length === 0) throw new Error(`cold-start run failed (exit ${run.code})`)
      return Math.min(...s.emu.log.map((e) => e.startedAt)) - started
    }
    const action: number[] = []
    const earlier: number[] = []
    // Interleaved, so that a machine getting busier weighs on both alike.
    for (let i = 0; i < runs; i++) {
      action.push(await once())
      if (before) earlier.push(await once(before.file))
    }
    const floor: number[] = []
    for (let i = 0; i < runs; i++) {
      s.emu.clearLog()
      const started = performance.now()
      await nodeFetch(`${s.emu.planetscaleUrl}/organizations`, node)
      if (s.emu.log.length === 0) throw new Error('the node floor run sent no request')
      floor.push(Math.min(...s.emu.log.map((e) => e.startedAt)) - started)
    }
    return {
      runs: action,
      medianMs: median(action),
      minMs: Math.min(...action),
      maxMs: Math.max(...action),
      nodeFloorMedianMs: median(floor),
      ...(before && {
        before: { commit: BEFORE_COMMIT, medianMs: median(earlier), size: bundleSize(before.file) }
      })
    }
  } finally {
    before?.cleanup()
    await s.emu.stop()
  }
}

function nodeFetch(url: string, node = process.execPath): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['-e', `fetch(${JSON.stringify(url)}).then((r) => r.text())`], {
      stdio: 'ignore'
    })
    child.on('error', reject)
    child.on('close', () => resolve())
  })
}

export interface BundleSize {
  bytes: number
  gzipBytes: number
}

export function bundleSize(file = BUNDLE): BundleSize {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file)).length }
}
