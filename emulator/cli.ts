// `npm run emulator`: serve both fake APIs with the demo data until SIGINT/SIGTERM.
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { seedDemo, startEmulator } from './index.js'

const USAGE = `Usage: npm run emulator -- [options]

Serves PlanetScale's service-token API and GitHub's secrets and Actions-variables API on
127.0.0.1, seeded with a demo data set, and prints the base URLs and credentials as KEY=value
lines. The GitHub token may read and write secrets and variables in every scope.

  --port-planetscale N   PlanetScale port (default: any free port)
  --port-github N        GitHub port (default: any free port)
  --latency MS           added to every response (default 0)
  --json FILE            also write the values as JSON to FILE (removed on exit)
  --verbose              print one line per request to stderr
  --help                 this text`

function parsePort(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name} must be a port number (0-65535), got "${raw}"`)
  return n
}

/** camelCase → SCREAMING_SNAKE_CASE, so the printed keys and the JSON keys stay one list. */
const envName = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'port-planetscale': { type: 'string' },
      'port-github': { type: 'string' },
      latency: { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const latencyMs = values.latency === undefined ? 0 : Number(values.latency)
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new Error(`--latency must be a number of ms, got "${values.latency}"`)

  const emu = await startEmulator({
    latencyMs,
    planetscale: { port: parsePort('port-planetscale', values['port-planetscale']) },
    github: { port: parsePort('port-github', values['port-github']) },
    onRequest: values.verbose
      ? (e) => console.error(`${e.api} ${e.method} ${e.path} → ${e.status} (${Math.round(e.endedAt - e.startedAt)} ms)`)
      : undefined
  })
  const seed = seedDemo(emu)
  const info = {
    planetscaleUrl: emu.planetscaleUrl,
    githubUrl: emu.githubUrl,
    organization: seed.organization,
    tokenId: seed.token.id,
    token: seed.token.token,
    githubToken: seed.githubToken,
    repository: seed.repository,
    environment: seed.environment
  }
  for (const [key, value] of Object.entries(info)) console.log(`${envName(key)}=${value}`)
  if (values.json) {
    // Written whole then renamed: whoever waits for the file never reads half of it.
    const temp = `${values.json}.${process.pid}.tmp`
    writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`)
    renameSync(temp, values.json)
  }
  console.error('Emulator running. Ctrl-C to stop.')

  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    if (values.json) rmSync(values.json, { force: true })
    await emu.stop()
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

main().catch((error: unknown) => {
  console.error(`emulator: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
