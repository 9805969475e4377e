// The write pacer on a virtual clock: spacing, the second write of a pair first, pauses asked
// for by GitHub, hurrying after a cancellation, and waiters that give up.
import { describe, expect, test } from '@jest/globals'
import { createWritePacer, type TurnKind, type WritePacer } from '../../src/rotation/5-write-pacer.js'

/**
 * A clock that only moves when the pacer sleeps; a sleep ends on a later macrotask, so callers can
 * queue meanwhile. `frozen`: sleeps never end by themselves (only an abort ends them).
 */
function virtualClock({ frozen = false } = {}) {
  let now = 0
  const sleeps: number[] = []
  return {
    now: () => now,
    sleeps,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        sleeps.push(ms)
        if (signal?.aborted) return reject(signal.reason)
        const onAbort = () => reject(signal!.reason)
        signal?.addEventListener('abort', onAbort, { once: true })
        if (!frozen)
          setImmediate(() => {
            if (signal?.aborted) return
            signal?.removeEventListener('abort', onAbort)
            now += ms
            resolve()
          })
      })
  }
}

function recorder(pacer: WritePacer, clock: { now(): number }) {
  const released: string[] = []
  const take = (name: string, kind: TurnKind, signal?: AbortSignal) =>
    pacer.turn(kind, signal).then(() => {
      released.push(`${name}@${clock.now()}`)
    })
  return { released, take }
}

describe('write pacer', () => {
  test('turns start spacingMs apart, in arrival order', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 1000, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    await Promise.all([take('a', 'begin'), take('b', 'begin'), take('c', 'begin')])
    expect(released).toEqual(['a@0', 'b@1000', 'c@2000'])
  })

  test("a pair's second write goes before any pair that has not begun", async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 1000, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    const pair = async (name: string) => {
      await take(`${name}.id`, 'begin')
      await take(`${name}.token`, 'complete')
    }
    await Promise.all([pair('a'), pair('b'), pair('c')])
    expect(released).toEqual(['a.id@0', 'a.token@1000', 'b.id@2000', 'b.token@3000', 'c.id@4000', 'c.token@5000'])
  })

  test('while a pair waits for its first answer, other pairs begin in the free turns', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 10, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    // The first answer takes longer than two turns: b and c begin meanwhile, then a completes first.
    let answerA!: () => void
    const aAnswered = new Promise<void>((resolve) => (answerA = resolve))
    const a = (async () => {
      await take('a.id', 'begin')
      await aAnswered
      await take('a.token', 'complete')
    })()
    const others = [take('b.id', 'begin'), take('c.id', 'begin'), take('d.id', 'begin')]
    await others[1]
    answerA()
    await Promise.all([a, ...others])
    expect(released).toEqual(['a.id@0', 'b.id@10', 'c.id@20', 'a.token@30', 'd.id@40'])
  })

  test('spacing 0 releases every turn at once', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 0, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    await Promise.all([take('a', 'begin'), take('b', 'complete'), take('c', 'begin')])
    expect(released.sort()).toEqual(['a@0', 'b@0', 'c@0'])
    expect(clock.sleeps).toEqual([])
  })

  test('pause holds every turn back for as long as GitHub asked', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 100, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    await take('a', 'begin')
    pacer.pause(5000)
    await Promise.all([take('b', 'complete'), take('c', 'begin')])
    expect(released).toEqual(['a@0', 'b@5000', 'c@5100'])
  })

  test('hurry ends the spacing at once, cutting short the current wait', async () => {
    const clock = virtualClock({ frozen: true })
    const pacer = createWritePacer({ spacingMs: 60_000, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    await take('a', 'begin')
    const waiting = Promise.all([take('b', 'complete'), take('c', 'complete')])
    await new Promise((resolve) => setImmediate(resolve))
    pacer.hurry()
    await waiting
    expect(released).toEqual(['a@0', 'b@0', 'c@0'])
  })

  test('hurry keeps a pause', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 60_000, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    await take('a', 'begin')
    pacer.hurry()
    pacer.pause(3000)
    await Promise.all([take('b', 'complete'), take('c', 'begin')])
    expect(released).toEqual(['a@0', 'b@3000', 'c@3000'])
  })

  test('a waiter whose signal aborts leaves the queue with its reason; the others keep their turns', async () => {
    const clock = virtualClock()
    const pacer = createWritePacer({ spacingMs: 1000, now: clock.now, sleep: clock.sleep })
    const { released, take } = recorder(pacer, clock)
    const cancel = new AbortController()
    const a = take('a', 'begin')
    const b = take('b', 'begin', cancel.signal)
    const c = take('c', 'begin')
    cancel.abort(new Error('cancelled'))
    await expect(b).rejects.toThrow('cancelled')
    await Promise.all([a, c])
    expect(released).toEqual(['a@0', 'c@1000'])
    await expect(pacer.turn('begin', cancel.signal)).rejects.toThrow('cancelled')
  })
})
