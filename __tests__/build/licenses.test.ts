// dist/licenses.txt ships the licences of everything bundled into dist/index.js (the bundle
// itself carries no legal comments). Held here to a fresh bundle's inputs; CI's dist check holds
// the committed file to `npm run build`.
import { beforeAll, expect, test } from '@jest/globals'
import { build, type Metafile } from 'esbuild'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
// @ts-expect-error: a plain JavaScript module of the build, without type declarations.
import { bundleOptions, bundledPackages, LICENSES_FILE, licensesText } from '../../scripts/bundle.mjs'

const root = resolve(import.meta.dirname, '../..')
type Package = { name: string; version: string; license: string }
let metafile: Metafile
let packages: Package[]

beforeAll(async () => {
  const result = await build({ ...bundleOptions, absWorkingDir: root, write: false })
  metafile = result.metafile!
  packages = bundledPackages(metafile, root) as Package[]
}, 60_000)

test('every bundled package is listed with its licence text, and the file is what the build writes', () => {
  const text = readFileSync(resolve(root, LICENSES_FILE), 'utf8')
  expect(text).toBe(licensesText(metafile, root))
  for (const pkg of packages) expect(text).toContain(`${pkg.name}@${pkg.version} (${pkg.license})`)
  // The packages the action cannot run without, so an empty metafile cannot pass.
  expect(packages.map((p) => p.name)).toEqual(
    expect.arrayContaining(['@actions/core', '@actions/github', 'libsodium-wrappers', 'undici'])
  )
})

test('the Apache-2.0 package among them ships its licence text', () => {
  const apache = packages.filter((p) => p.license === 'Apache-2.0')
  expect(apache.length).toBeGreaterThan(0)
  const text = readFileSync(resolve(root, LICENSES_FILE), 'utf8')
  for (const pkg of apache) {
    const section = text.split(`${pkg.name}@${pkg.version} (Apache-2.0)`)[1]?.split('-'.repeat(72))[0] ?? ''
    expect(section).toMatch(/Apache License/)
  }
})

test('only licences that allow bundling', () => {
  const allowed = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD'])
  expect(packages.filter((p) => !allowed.has(p.license)).map((p) => `${p.name} ${p.license}`)).toEqual([])
})
