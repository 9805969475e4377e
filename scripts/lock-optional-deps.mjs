// The registry this project is developed against serves only some platforms' binaries of a few
// packages (@swc/core, unrs-resolver), so `npm install` leaves those optional dependencies out
// of package-lock.json and `npm ci` then refuses the lock as out of sync. Record them as optional
// entries: npm ci skips a platform's binary it cannot use or cannot fetch.
// Run after every `npm install`: `node scripts/lock-optional-deps.mjs`.
import { readFileSync, writeFileSync } from 'node:fs'

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'))
const packages = lock.packages
const added = []
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = path ? `${path}/node_modules/${name}` : `node_modules/${name}`
    const top = `node_modules/${name}`
    if (packages[nested] || packages[top]) continue
    const version = /^[\^~]?(\d+\.\d+\.\d+\S*)$/.exec(range)?.[1]
    if (!version) continue
    packages[top] = { version, ...(meta.dev ? { dev: true } : {}), optional: true }
    added.push(name)
  }
}
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`)
console.log(
  added.length ? `recorded ${added.length} optional platform packages: ${added.join(', ')}` : 'lock already complete'
)
