import { describe, expect, test } from '@jest/globals'
import { inputError, parse } from './helpers.js'

describe('ttl', () => {
  test.each([
    ['', { kind: 'keep' }],
    ['never', { kind: 'never' }],
    ['45s', { kind: 'seconds', seconds: 45 }],
    ['30m', { kind: 'seconds', seconds: 1800 }],
    ['12h', { kind: 'seconds', seconds: 43_200 }],
    ['90d', { kind: 'seconds', seconds: 7_776_000 }],
    ['3600', { kind: 'seconds', seconds: 3600 }],
    [' 1d ', { kind: 'seconds', seconds: 86_400 }],
    ['3650d', { kind: 'seconds', seconds: 315_360_000 }],
    ['315360000', { kind: 'seconds', seconds: 315_360_000 }]
  ])('%j → %j', (raw, expected) => {
    expect(parse({ ttl: raw }).ttl).toEqual(expected)
  })

  test.each([
    ['1w', 'is not a duration'],
    ['1.5h', 'is not a duration'],
    ['-1', 'is not a duration'],
    ['10 d', 'is not a duration'],
    ['abc', 'is not a duration'],
    ['1D', 'is not a duration'],
    ['d', 'is not a duration'],
    ['Never', 'is not a duration'],
    ['0', 'already expired'],
    ['0d', 'already expired'],
    ['3651d', 'at most 10 years'],
    ['315360001', 'at most 10 years'],
    ['99999999999999999999', 'at most 10 years']
  ])('%j is rejected', (raw, fragment) => {
    const error = inputError(() => parse({ ttl: raw }))
    expect(error.input).toBe('ttl')
    expect(error.message).toContain(fragment)
  })

  test('the format message names the accepted forms, "never" included', () => {
    const message = inputError(() => parse({ ttl: '1w' })).message
    expect(message).toContain('"1w" is not a duration')
    expect(message).toContain('"90d"')
    expect(message).toContain('"never"')
  })
})

describe('min-age', () => {
  test.each([
    ['', 0],
    ['0', 0],
    ['30d', 2_592_000],
    ['90m', 5400],
    ['120', 120]
  ])('%j → %d seconds', (raw, expected) => {
    expect(parse({ 'min-age': raw }).minAgeSeconds).toBe(expected)
  })

  test.each(['1w', '2.5d', '-5', '5 s', 'never', '4000d'])('%j is rejected', (raw) => {
    const error = inputError(() => parse({ 'min-age': raw }))
    expect(error.input).toBe('min-age')
    expect(error.message).toContain(JSON.stringify(raw))
  })
})
