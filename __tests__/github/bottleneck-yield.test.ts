// Bottleneck's store yields without timers: the same job, first with Bottleneck's own
// setTimeout(0) yields, then with setImmediate. The one timer left is the job's launch.
import { expect, jest, test } from '@jest/globals'
import Bottleneck from 'bottleneck/light.js'
import { yieldWithSetImmediate } from '../../src/github/bottleneck-yield.js'

/** setTimeout calls made while one job goes through a limiter like plugin-throttling's. */
async function timersPerJob(): Promise<number> {
  const limiter = new Bottleneck({ maxConcurrent: 1, minTime: 0 })
  const spy = jest.spyOn(globalThis, 'setTimeout')
  try {
    await expect(limiter.schedule(async () => 'done')).resolves.toBe('done')
    return spy.mock.calls.length
  } finally {
    spy.mockRestore()
  }
}

test('a Bottleneck job waits on one timer (its launch), no longer on one per store operation', async () => {
  expect(await timersPerJob()).toBeGreaterThanOrEqual(4)
  expect(yieldWithSetImmediate()).toBe(true)
  expect(await timersPerJob()).toBe(1)
  expect(yieldWithSetImmediate()).toBe(true)
})
