// Paths: one place for every endpoint, with segments that cannot escape their place.
import { describe, expect, test } from '@jest/globals'
import {
  organizationsPath,
  serviceTokenAccessPagePath,
  serviceTokenAccessPath,
  serviceTokenPath,
  serviceTokensPagePath,
  serviceTokensPath
} from '../../src/planetscale/paths.js'

describe('paths', () => {
  test('match the spec', () => {
    expect(organizationsPath()).toBe('/organizations')
    expect(serviceTokensPath('acme')).toBe('/organizations/acme/service-tokens')
    expect(serviceTokensPagePath('acme', 3, 100)).toBe('/organizations/acme/service-tokens?page=3&per_page=100')
    expect(serviceTokenPath('acme', '8x1k2abcd0ef')).toBe('/organizations/acme/service-tokens/8x1k2abcd0ef')
    expect(serviceTokenAccessPath('acme', '8x1k2abcd0ef')).toBe(
      '/organizations/acme/service-tokens/8x1k2abcd0ef/access'
    )
    expect(serviceTokenAccessPagePath('acme', '8x1k2abcd0ef', 2, 100)).toBe(
      '/organizations/acme/service-tokens/8x1k2abcd0ef/access?page=2&per_page=100'
    )
  })

  test('encode each segment', () => {
    expect(serviceTokenAccessPath('a/b c', 'x?y#z')).toBe('/organizations/a%2Fb%20c/service-tokens/x%3Fy%23z/access')
  })

  test.each(['', '.', '..'])('refuse %p as a segment: it would change which endpoint is called', (bad) => {
    expect(() => serviceTokenPath('acme', bad)).toThrow(TypeError)
    expect(() => serviceTokensPath(bad)).toThrow(TypeError)
  })
})
