// `npm run emulator`: serve both fake APIs with the demo data until SIGINT/SIGTERM.
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { seedDemo, startConnectProxy, startEmulator, testCertificates, type ConnectProxy } from './index.js'

const USAGE = `Usage: npm run emulator -- [options]

Serves PlanetScale's service-token API and GitHub's secrets and Actions-variables API on
127.0.0.1, seeded with a demo data set, and prints the base URLs and credentials as KEY=value
lines. The GitHub token may read and write secrets and variables in every scope.

  --port-planetscale N   PlanetScale port (default: any free port)
  --port-github N        GitHub port (default: any free port)
  --latency MS           added to every response (default 0)
  --json FILE            also write the values as JSON to FILE (removed on exit)
  --behind-proxy         serve HTTPS under the name emulator.test, with a certificate from a
                         throwaway authority, behind a CONNECT proxy on loopback: the way a
                         self-hosted runner behind a TLS-re-signing proxy reaches the APIs.
                         Prints HTTPS_PROXY and NODE_EXTRA_CA_CERTS for the action's env
  --verbose              print one line per request to stderr
  --help                 this text`

function parsePort(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name} must be a port number (0-65535), got "${raw}"`)
  return n
}

/** Resolved only by the proxy: a request that reaches the emulator came through it. */
const PROXIED_HOST = 'emulator.test'

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
      'behind-proxy': { type: 'boolean', default: false },
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

  const certs = values['behind-proxy'] ? testCertificates([PROXIED_HOST]) : undefined
  const emu = await startEmulator({
    latencyMs,
    ...(certs && { tls: { key: certs.key, cert: certs.cert, hostname: PROXIED_HOST } }),
    planetscale: { port: parsePort('port-planetscale', values['port-planetscale']) },
    github: { port: parsePort('port-github', values['port-github']) },
    onRequest: values.verbose
      ? (e) => console.error(`${e.api} ${e.method} ${e.path} → ${e.status} (${Math.round(e.endedAt - e.startedAt)} ms)`)
      : undefined
  })
  const seed = seedDemo(emu)
  const proxy: ConnectProxy | undefined = certs ? await startConnectProxy() : undefined
  const info = {
    planetscaleUrl: emu.planetscaleUrl,
    githubUrl: emu.githubUrl,
    organization: seed.organization,
    tokenId: seed.token.id,
    token: seed.token.token,
    githubToken: seed.githubToken,
    repository: seed.repository,
    environment: seed.environment,
    ...(proxy && certs && { httpsProxy: proxy.url, nodeExtraCaCerts: certs.caFile })
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
    if (certs) rmSync(certs.dir, { recursive: true, force: true })
    await proxy?.stop()
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
