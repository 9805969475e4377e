// Bundles src/index.ts into the committed dist/index.js the runner executes, with the licences
// of the bundled code in dist/licenses.txt. The @actions/* v3 and Octokit packages are
// ESM-only, so the bundle is ESM too.
import { build } from 'esbuild'
import { rmSync, writeFileSync } from 'node:fs'
import { bundleOptions, LICENSES_FILE, licensesText } from './bundle.mjs'

rmSync('dist', { recursive: true, force: true })
const { metafile } = await build(bundleOptions)
writeFileSync(LICENSES_FILE, licensesText(metafile))
