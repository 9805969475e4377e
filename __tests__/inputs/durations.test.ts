import { describe, expect, test } from '@jest/globals'
import { inputError, parse } from './helpers.js'

describe('ttl', () => {
  test.each([
    ['', { kind: 'keep' }],
    ['never', { kind: 'never' }],
    ['3600s', { kind: 'seconds', seconds: 3600 }],
    ['60m', { kind: 'seconds', seconds: 3600 }],
    ['1h', { kind: 'seconds', seconds: 3600 }],
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

describe('ttl under 1 hour', () => {
  test.each([
    ['90', '"90" is 90 seconds', '"90d" for 90 days'],
    ['1', '"1" is 1 second', '"1d" for 1 day'],
    ['3599', '"3599" is 3599 seconds', '"90d" for 90 days'],
    ['45s', '"45s" is 45 seconds', '"90d" for 90 days'],
    ['30m', '"30m" is 30 minutes', '"90d" for 90 days'],
    ['1m', '"1m" is 1 minute', '"90d" for 90 days'],
    ['120', '"120" is 120 seconds', '"120d" for 120 days'],
    ['365', '"365" is 365 seconds', '"365d" for 365 days'],
    ['366', '"366" is 366 seconds', '"90d" for 90 days'],
    ['59m', '"59m" is 59 minutes', '"90d" for 90 days']
  ])('%j is rejected for rotate and create, explaining why', (raw, length, example) => {
    for (const command of ['rotate', 'create']) {
      const error = inputError(() => parse({ command, accesses: 'organization read_databases', ttl: raw }))
      expect(error.input).toBe('ttl')
      expect(error.message).toContain(`${length}: a token that short would lock every pipeline out when it expires`)
      expect(error.message).toContain(`use at least 1h (e.g. ${example})`)
    }
  })

  test('the full message for a number meant as days', () => {
    expect(inputError(() => parse({ ttl: '90' })).message).toBe(
      'Input "ttl": "90" is 90 seconds: a token that short would lock every pipeline out when it expires; ' +
        'use at least 1h (e.g. "90d" for 90 days)'
    )
  })

  test('the floor comes before the min-age check', () => {
    expect(inputError(() => parse({ ttl: '30m', 'min-age': '30d' })).message).toContain('lock every pipeline out')
  })

  test.each([
    ['list', {}],
    ['delete', { 'token-id': 'zzz' }]
  ])('%s, which makes no token, does not apply it', (command, extra) => {
    expect(parse({ command, ...extra, ttl: '90' }).ttl).toEqual({ kind: 'seconds', seconds: 90 })
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
