import { describe, expect, test } from '@jest/globals'
import { inputError, parse } from './helpers.js'

describe('delete-previous', () => {
  test.each([
    ['', { kind: 'after', seconds: 3600 }],
    ['  ', { kind: 'after', seconds: 3600 }],
    ['true', { kind: 'now' }],
    ['True', { kind: 'now' }],
    [' TRUE ', { kind: 'now' }],
    ['false', { kind: 'never' }],
    ['False', { kind: 'never' }],
    ['FALSE', { kind: 'never' }],
    ['1h', { kind: 'after', seconds: 3600 }],
    ['30m', { kind: 'after', seconds: 1800 }],
    ['2d', { kind: 'after', seconds: 172_800 }],
    ['45s', { kind: 'after', seconds: 45 }],
    ['900', { kind: 'after', seconds: 900 }],
    ['0', { kind: 'now' }],
    ['0h', { kind: 'now' }]
  ])('%j → %j', (raw, expected) => {
    expect(parse({ 'delete-previous': raw }).deletePrevious).toEqual(expected)
  })

  test.each([
    ['', { kind: 'now' }],
    ['true', { kind: 'now' }],
    ['false', { kind: 'never' }],
    ['0', { kind: 'now' }]
  ])('with journal: none, %j → %j', (raw, expected) => {
    expect(parse({ journal: 'none', 'delete-previous': raw }).deletePrevious).toEqual(expected)
  })

  test.each(['rotate', 'create'])('%s: a duration with journal: none is an error that says why', (command) => {
    const error = inputError(() =>
      parse({ command, accesses: 'organization read_databases', journal: 'none', 'delete-previous': '2h' })
    )
    expect(error.input).toBe('delete-previous')
    expect(error.message).toContain('"2h" needs the journal, and journal is "none"')
    expect(error.message).toContain('the journal is what lets a later run delete the replaced token')
    expect(error.message).toContain('Set journal (e.g. "repo:acme/api"), or use true')
    expect(error.message).toContain('false')
  })

  test.each([
    ['list', {}],
    ['delete', { 'token-id': 'zzz' }]
  ])('%s, which keeps no journal, accepts a duration', (command, extra) => {
    expect(parse({ command, ...extra, 'delete-previous': '2h' }).deletePrevious).toEqual({
      kind: 'after',
      seconds: 7200
    })
  })

  test.each(['yes', '1.5h', 'tRUE', 'now', '-1h', '1w', '1 h'])('%j is rejected, naming the accepted forms', (raw) => {
    const error = inputError(() => parse({ 'delete-previous': raw }))
    expect(error.input).toBe('delete-previous')
    expect(error.message).toContain(`${JSON.stringify(raw)} is not true (delete it in this run), false (keep it)`)
    expect(error.message).toContain('"1h", "30m", "2d"')
  })

  test('a grace beyond 10 years is rejected as too long', () => {
    const error = inputError(() => parse({ 'delete-previous': '4000d' }))
    expect(error.input).toBe('delete-previous')
    expect(error.message).toContain('at most 10 years')
  })
})
