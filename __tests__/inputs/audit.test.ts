// `audit`'s inputs: defaults, fail-on's rule names, ignore's lines, and what other commands refuse.
import { describe, expect, test } from '@jest/globals'
import { inputError, parse } from './helpers.js'

const audit = (inputs: Record<string, string> = {}) => parse({ command: 'audit', ...inputs }).audit

describe('audit inputs', () => {
  test('defaults: 90d, 30d, report only, no deletion, nothing ignored', () => {
    expect(audit()).toEqual({
      maxAgeSeconds: 90 * 86_400,
      unusedForSeconds: 30 * 86_400,
      failOn: [],
      deleteUnused: false,
      ignore: []
    })
    // As action.yml passes them when unset.
    expect(audit({ 'max-age': '90d', 'unused-for': '30d', 'delete-unused': 'false' })).toMatchObject({
      maxAgeSeconds: 90 * 86_400,
      deleteUnused: false
    })
    expect(parse({ command: 'audit' }).accesses).toBeUndefined()
  })

  test('fail-on: commas, spaces or lines, in severity order, duplicates once; "all" is every rule', () => {
    expect(audit({ 'fail-on': 'no-expiry, unused\nunused' })?.failOn).toEqual(['unused', 'no-expiry'])
    expect(audit({ 'fail-on': 'all' })?.failOn).toEqual([
      'token-admin',
      'unused',
      'job-token-leftover',
      'stale',
      'no-expiry',
      'expiring'
    ])
  })

  test('fail-on: an unknown rule names the valid ones', () => {
    const error = inputError(() => audit({ 'fail-on': 'unused,Stale' }))
    expect(error.input).toBe('fail-on')
    expect(error.message).toBe(
      'Input "fail-on": unknown rule "Stale": use any of token-admin, unused, job-token-leftover, stale, ' +
        'no-expiry, expiring (comma-separated), or "all"'
    )
  })

  test('max-age and unused-for: durations of at least a day', () => {
    expect(audit({ 'max-age': '60d', 'unused-for': '36h' })).toMatchObject({
      maxAgeSeconds: 60 * 86_400,
      unusedForSeconds: 36 * 3600
    })
    expect(inputError(() => audit({ 'max-age': '3 months' })).input).toBe('max-age')
    expect(inputError(() => audit({ 'unused-for': '23h' })).message).toMatch(/"23h" is less than a day/)
  })

  test('ignore: one entry a line, comments dropped; a pattern matching everything is refused', () => {
    expect(audit({ ignore: 'abc123def456\n# the old CI\nlegacy-*  # until March\n\n' })?.ignore).toEqual([
      'abc123def456',
      'legacy-*'
    ])
    expect(inputError(() => audit({ ignore: 'ok\n**' })).message).toMatch(/line 2: "\*\*" matches every token/)
  })

  test('delete-unused: a boolean', () => {
    expect(audit({ 'delete-unused': 'true' })?.deleteUnused).toBe(true)
    expect(inputError(() => audit({ 'delete-unused': 'on' })).input).toBe('delete-unused')
  })

  test('other commands: no audit settings, and fail-on, delete-unused or ignore given to them is refused', () => {
    expect(parse({ command: 'list', 'max-age': '90d', 'delete-unused': 'false' }).audit).toBeUndefined()
    for (const [input, value] of [
      ['fail-on', 'unused'],
      ['delete-unused', 'true'],
      ['ignore', 'legacy-*']
    ]) {
      const error = inputError(() => parse({ command: 'list', [input!]: value! }))
      expect(error.input).toBe(input)
      expect(error.message).toMatch(/is only used by command "audit" \(this step runs "list"\)/)
    }
  })
})
