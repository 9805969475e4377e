import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { DemoSeed, Emulator } from '../../emulator/index.js'
import { gh, ps, startSeeded, type Reply } from './helpers.js'

let emu: Emulator
let seed: DemoSeed
beforeEach(async () => {
  ;({ emu, seed } = await startSeeded())
})
afterEach(() => emu.stop())

const VARS = '/repos/acme/api/actions/variables'
const TOKENS = '/organizations/acme/service-tokens'

async function waitFor(predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Settles to 'open' while the call is unanswered. */
function pending(call: Promise<Reply>): Promise<Reply | Error | 'open'> {
  return Promise.race([call.catch((e: Error) => e), new Promise<'open'>((r) => setTimeout(() => r('open'), 100))])
}

describe('hold points', () => {
  test("phase 'before': the request is never applied nor answered until released, then logged as a hang", async () => {
    const held = emu.holdAt({ method: 'POST', path: VARS })
    const call = gh(emu, 'POST', VARS, seed.githubToken, { name: 'A', value: 'v' })
    const info = await held
    expect(info).toEqual({ api: 'github', method: 'POST', path: VARS, seq: expect.any(Number) })
    expect(await pending(call)).toBe('open')
    expect(emu.github.variable('repo:acme/api', 'A')).toBeUndefined()
    expect(emu.github.concurrency.current).toBe(1)
    expect(emu.log.some((e) => e.seq === info.seq)).toBe(false)

    emu.releaseHolds()
    await expect(call).rejects.toThrow()
    expect(emu.log.find((e) => e.seq === info.seq)).toMatchObject({ method: 'POST', path: VARS, status: 'hang' })
    expect(emu.github.concurrency.current).toBe(0)
    // The hold fired once: the retry goes through.
    expect((await gh(emu, 'POST', VARS, seed.githubToken, { name: 'A', value: 'v' })).status).toBe(201)
  })

  test("phase 'after': the request is applied before the hold resolves, and never answered", async () => {
    const held = emu.holdAt({ api: 'planetscale', method: 'POST', path: TOKENS, phase: 'after' })
    const before = emu.planetscale.tokens('acme').length
    const call = ps(emu, 'POST', TOKENS, seed.token, { name: 'applied' })
    await held
    expect(emu.planetscale.tokens('acme')).toHaveLength(before + 1)
    expect(await pending(call)).toBe('open')
    emu.releaseHolds()
    await expect(call).rejects.toThrow()
  })

  test('nth counts matching requests from the holdAt call; others pass through', async () => {
    await gh(emu, 'GET', '/repos/acme/api', seed.githubToken) // before the call: not counted
    const held = emu.holdAt({ path: '/repos/acme/api', nth: 2 })
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(200)
    expect((await gh(emu, 'GET', '/rate_limit', seed.githubToken)).status).toBe(200) // not matching
    const call = gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    expect((await held).path).toBe('/repos/acme/api')
    emu.releaseHolds()
    await expect(call).rejects.toThrow()
    expect(() => emu.holdAt({ path: '/x', nth: 0 })).toThrow(/nth/)
  })

  test('fault rules neither see nor count a held request', async () => {
    emu.addFault({ path: '/repos/acme/api', response: { status: 500 } })
    const held = emu.holdAt({ path: '/repos/acme/api' })
    const call = gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    await held
    emu.releaseHolds()
    await expect(call).rejects.toThrow()
    expect((await gh(emu, 'GET', '/repos/acme/api', seed.githubToken)).status).toBe(500)
  })

  test('a client that goes away (e.g. is killed) ends the hold: logged as a hang', async () => {
    const held = emu.holdAt({ path: '/organizations' })
    const abort = new AbortController()
    const call = fetch(`${emu.planetscaleUrl}/organizations`, {
      headers: { authorization: `${seed.token.id}:${seed.token.token}` },
      signal: abort.signal
    })
    const { seq } = await held
    abort.abort()
    await expect(call).rejects.toThrow()
    await waitFor(() => emu.log.some((e) => e.seq === seq && e.status === 'hang'))
    expect(emu.planetscale.concurrency.current).toBe(0)
  })

  test('holdAtRequest walks every request boundary across both APIs, in log order', async () => {
    // A "run": three sequential requests over both APIs.
    const run = async () => {
      await ps(emu, 'GET', '/organizations', seed.token)
      await gh(emu, 'POST', VARS, seed.githubToken, { name: 'J', value: 'v' })
      await gh(emu, 'DELETE', `${VARS}/J`, seed.githubToken)
    }
    emu.clearLog()
    await run()
    const clean = emu.log.map((e) => [e.api, e.method, e.path])
    expect(clean).toHaveLength(3)

    for (let n = 1; n <= clean.length; n++) {
      for (const phase of ['before', 'after'] as const) {
        emu.github.deleteVariable('repo:acme/api', 'J')
        const held = emu.holdAtRequest(n, phase)
        const killed = run()
        killed.catch(() => {})
        const info = await held
        expect([n, phase, info.api, info.method, info.path]).toEqual([n, phase, ...clean[n - 1]!])
        // The requests before the held one were applied, and the held one too with 'after'.
        const applied = n - 1 + (phase === 'after' ? 1 : 0)
        const exists = applied === 2 // created by the POST, not yet deleted
        expect([n, phase, emu.github.variable('repo:acme/api', 'J') !== undefined]).toEqual([n, phase, exists])
        emu.releaseHolds()
        await expect(killed).rejects.toThrow()
      }
    }
  })

  test('stop() drops held requests and rejects holds not reached', async () => {
    const held = emu.holdAtRequest(1)
    const unreached = emu.holdAtRequest(5)
    const call = gh(emu, 'GET', '/repos/acme/api', seed.githubToken)
    const { seq } = await held
    await emu.stop()
    await expect(call).rejects.toThrow()
    await expect(unreached).rejects.toThrow(/stopped/)
    expect(emu.log.find((e) => e.seq === seq)?.status).toBe('hang')
    // Never awaiting an unreached hold is fine too.
    emu.holdAtRequest(1)
  })
})
