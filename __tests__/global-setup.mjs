// Jest's globalSetup: once per run, the Node 24 binary that every end-to-end run of the bundle
// uses (the runner gives the action `node24`; jest itself may run on another Node). Workers
// inherit the variable, and runAction (scripts/lib/run-bundle.ts) defaults to it.
// Plain JavaScript: jest loads this file untransformed, so the TypeScript is loaded through tsx.
import { tsImport } from 'tsx/esm/api'

export default async function globalSetup() {
  const { setTestNode } = await tsImport('../scripts/lib/run-bundle.ts', import.meta.url)
  setTestNode()
}
