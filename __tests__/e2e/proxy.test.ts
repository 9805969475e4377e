// A self-hosted runner behind a proxy that re-signs TLS: the emulator serves both APIs over
// HTTPS with a certificate from a test authority generated here, under a host name that only
// the proxy resolves (emulator.test), so a request that did not go through the proxy cannot
// reach it at all. The action must use HTTPS_PROXY (either case) for both APIs, skip it for
// hosts NO_PROXY names, and trust the authority only through NODE_EXTRA_CA_CERTS.
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { rmSync } from 'node:fs'
import { lookup } from 'node:dns/promises'
import { hostname } from 'node:os'
import { startConnectProxy, testCertificates, type ConnectProxy, type TestCertificates } from '../../emulator/index.js'
import {
  findLeaks,
  heldPair,
  ID_NAME,
  invariantViolations,
  runAction,
  startDemoScenario,
  TOKEN_NAME,
  type Scenario
} from './harness.js'

const PROXIED_HOST = 'emulator.test'
/** This machine's name: resolvable here, and not one of the loopback names every client skips the proxy for. */
const DIRECT_HOST = hostname()

let certs: TestCertificates
let directResolves = false

beforeAll(async () => {
  certs = testCertificates([PROXIED_HOST, DIRECT_HOST])
  directResolves = await lookup(DIRECT_HOST).then(
    (r) => r.address.startsWith('127.'),
    () => false
  )
})
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }))

async function scenario(): Promise<Scenario> {
  return startDemoScenario({ tls: { key: certs.key, cert: certs.cert, hostname: PROXIED_HOST } })
}

const port = (url: string) => new URL(url).port

async function withProxy<T>(
  options: Parameters<typeof startConnectProxy>[0],
  body: (proxy: ConnectProxy) => Promise<T>
): Promise<T> {
  const proxy = await startConnectProxy(options)
  try {
    return await body(proxy)
  } finally {
    await proxy.stop()
  }
}

test('both APIs through https_proxy (lower case), TLS trusted through NODE_EXTRA_CA_CERTS: a full rotation', async () => {
  const s = await scenario()
  try {
    await withProxy({}, async (proxy) => {
      expect(s.emu.planetscaleUrl).toMatch(/^https:\/\/emulator\.test:\d+\//)
      const run = await runAction(s.inputs, {
        env: { ...s.env, https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: certs.caFile }
      })
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.outputs.rotated).toBe('true')
      for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(run.outputs['token-id'])
      expect(invariantViolations(s)).toEqual([])
      // emulator.test resolves nowhere but in the proxy: every request the emulator served came through a tunnel.
      const ps = `${PROXIED_HOST}:${port(s.emu.planetscaleUrl)}`
      const gh = `${PROXIED_HOST}:${port(s.emu.githubUrl)}`
      expect(new Set(proxy.tunnels)).toEqual(new Set([ps, gh]))
      expect(s.emu.log.length).toBeGreaterThan(10)
      expect(proxy.plain).toEqual([])
      expect(findLeaks(run, s.secrets())).toEqual([])
    })
  } finally {
    await s.emu.stop()
  }
})

test('HTTPS_PROXY with credentials; NO_PROXY sends PlanetScale direct while GitHub stays on the proxy', async () => {
  const s = await scenario()
  const password = 'proxy-pass-5e3cr3t'
  try {
    await withProxy({ credentials: { user: 'runner', password } }, async (proxy) => {
      const direct = s.emu.planetscaleUrl.replace(PROXIED_HOST, DIRECT_HOST)
      const run = await runAction(
        { ...s.inputs, 'planetscale-api-url': direct },
        {
          env: {
            ...s.env,
            HTTPS_PROXY: proxy.url.replace('//', `//runner:${password}@`),
            NO_PROXY: `example.org, ${DIRECT_HOST}`,
            NODE_EXTRA_CA_CERTS: certs.caFile
          }
        }
      )
      const gh = `${PROXIED_HOST}:${port(s.emu.githubUrl)}`
      // No tunnel to PlanetScale's port under either name: NO_PROXY kept it off the proxy.
      expect(proxy.tunnels.filter((t) => t.endsWith(`:${port(s.emu.planetscaleUrl)}`))).toEqual([])
      expect(proxy.refused).toBe(0)
      expect(new Set(proxy.tunnels)).toEqual(new Set([gh]))
      if (directResolves) {
        expect(run.code).toBe(0)
        expect(run.outputs.rotated).toBe('true')
        expect(s.emu.log.filter((e) => e.api === 'planetscale').length).toBeGreaterThan(3)
        expect(invariantViolations(s)).toEqual([])
      } else {
        // This machine's name does not resolve to loopback: the direct attempt fails before any change.
        expect(run.code).toBe(1)
        expect(s.emu.log.filter((e) => e.api === 'planetscale')).toEqual([])
      }
      for (const stream of [run.stdout, run.stderr, run.summary]) expect(stream).not.toContain(password)
    })
  } finally {
    await s.emu.stop()
  }
})

test('without NODE_EXTRA_CA_CERTS the re-signed TLS is refused: the run fails at the check, nothing changes', async () => {
  const s = await scenario()
  try {
    await withProxy({}, async (proxy) => {
      const run = await runAction(s.inputs, { env: { ...s.env, HTTPS_PROXY: proxy.url } })
      expect(run.code).toBe(1)
      // The journal read and the credentials check go out together; whichever fails first names the cause.
      expect(run.stdout).toMatch(/::error::.*did not answer.*set NODE_EXTRA_CA_CERTS/)
      // The TLS handshake failed inside the tunnel: the emulator never saw a request.
      expect(proxy.tunnels.length).toBeGreaterThan(0)
      expect(s.emu.log).toEqual([])
      for (const scope of s.targets) expect(heldPair(s, scope).id).toBe(s.token.id)
      expect(invariantViolations(s)).toEqual([])
    })
  } finally {
    await s.emu.stop()
  }
})

test('with only HTTP_PROXY set the requests go direct, and the log says to set HTTPS_PROXY', async () => {
  const s = await scenario()
  try {
    await withProxy({}, async (proxy) => {
      const run = await runAction(s.inputs, {
        env: { ...s.env, HTTP_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: certs.caFile }
      })
      // Direct, emulator.test does not resolve: the check fails before any change.
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/::warning::HTTP_PROXY is set but HTTPS_PROXY is not/)
      expect(proxy.tunnels).toEqual([])
      expect(s.emu.log).toEqual([])
    })
  } finally {
    await s.emu.stop()
  }
})

test('a proxy setting that cannot work stops the run before any request, naming the variable', async () => {
  const s = await scenario()
  try {
    const run = await runAction(s.inputs, {
      env: { ...s.env, HTTPS_PROXY: 'socks5://proxy.corp:1080', NODE_EXTRA_CA_CERTS: certs.caFile }
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::HTTPS_PROXY \(or https_proxy\) is set but is not a proxy URL the action can use/
    )
    expect(run.stdout).not.toContain('proxy.corp')
    expect(s.emu.log).toEqual([])
  } finally {
    await s.emu.stop()
  }
})

test('the proxy goes away after a token write lands: the run fails, and the next run through a new proxy repairs', async () => {
  const s = await scenario()
  try {
    const first = await startConnectProxy()
    const env = { ...s.env, NODE_EXTRA_CA_CERTS: certs.caFile }
    // The first target's token write is applied, then the proxy and every tunnel through it vanish.
    const held = s.emu.holdAt({
      api: 'github',
      method: 'PUT',
      path: new RegExp(`/secrets/${TOKEN_NAME}$`),
      phase: 'after'
    })
    held.catch(() => undefined)
    const running = runAction(s.inputs, { env: { ...env, HTTPS_PROXY: first.url } })
    await held
    await first.stop()
    s.emu.releaseHolds()
    const cut = await running
    expect(cut.code).toBe(1)
    expect(findLeaks(cut, s.secrets())).toEqual([])
    // Cut off from GitHub, the run could not finish or undo a pair in flight: the old token stays,
    // and every target left without a working pair is named in the summary for the next run.
    expect(s.emu.planetscale.isAlive(s.token.id)).toBe(true)
    const broken = s.targets.filter((scope) => {
      const { id, token } = heldPair(s, scope)
      return !id || !token || !s.emu.planetscale.authenticates({ id, token })
    })
    for (const scope of broken) expect(cut.summary).toContain(scope)

    await withProxy({}, async (second) => {
      const { id, token } = heldPair(s, s.targets[0]!)
      const next = await runAction(
        { ...s.inputs, 'service-token-id': id ?? '', 'service-token': token ?? '' },
        { env: { ...env, HTTPS_PROXY: second.url, GITHUB_RUN_ATTEMPT: '2' } }
      )
      expect(next.code).toBe(0)
      const newest = next.outputs['token-id']
      for (const scope of s.targets) {
        expect(heldPair(s, scope).id).toBe(newest)
        expect(s.emu.github.secret(scope, ID_NAME)).toBeDefined()
      }
      expect(invariantViolations(s)).toEqual([])
      expect(second.tunnels.length).toBeGreaterThan(0)
      expect(findLeaks(next, s.secrets())).toEqual([])
    })
  } finally {
    await s.emu.stop()
  }
})
