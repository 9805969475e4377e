// Cold start: from spawning `node dist/index.js` to its first request reaching the emulator.
// Both ends are read on this process's performance.now() (the emulator runs here), so no
// clock alignment is needed; the spawn mark is taken just before runAction, which first
// creates two small files (well under 1 ms).
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
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
}

export async function measureColdStart(runs: number): Promise<ColdStart> {
  const s = await startBenchScenario(['repo:acme/api'], { latencyMs: 0 })
  try {
    const action: number[] = []
    for (let i = 0; i < runs; i++) {
      s.emu.clearLog()
      const started = performance.now()
      // A dry run: the same start-up, no state change, so one seeded emulator serves every run.
      const run = await runAction({ ...s.inputs, 'dry-run': 'true' }, { timeoutMs: 30_000 })
      if (run.code !== 0 || s.emu.log.length === 0) throw new Error(`cold-start run ${i + 1} failed (exit ${run.code})`)
      action.push(Math.min(...s.emu.log.map((e) => e.startedAt)) - started)
    }
    const floor: number[] = []
    for (let i = 0; i < runs; i++) {
      s.emu.clearLog()
      const started = performance.now()
      await nodeFetch(`${s.emu.planetscaleUrl}/organizations`)
      if (s.emu.log.length === 0) throw new Error('the node floor run sent no request')
      floor.push(Math.min(...s.emu.log.map((e) => e.startedAt)) - started)
    }
    return {
      runs: action,
      medianMs: median(action),
      minMs: Math.min(...action),
      maxMs: Math.max(...action),
      nodeFloorMedianMs: median(floor)
    }
  } finally {
    await s.emu.stop()
  }
}

function nodeFetch(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `fetch(${JSON.stringify(url)}).then((r) => r.text())`], {
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

export function bundleSize(): BundleSize {
  return { bytes: statSync(BUNDLE).size, gzipBytes: gzipSync(readFileSync(BUNDLE)).length }
}
