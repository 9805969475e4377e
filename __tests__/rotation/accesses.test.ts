import { describe, expect, test } from '@jest/globals'
import {
  accessKeys,
  diffAccessSets,
  grantsFromAccesses,
  lacksSelfRotationAccesses
} from '../../src/rotation/accesses.js'
import { minAgeSkip, newTokenTtl } from '../../src/rotation/protocol.js'
import { readTuning } from '../../src/inputs/tuning.js'
import { InputError, RotationError } from '../../src/errors.js'
import type { TokenAccess } from '../../src/planetscale/types.js'

const db = (name: string, access: string, deleted = false): TokenAccess => ({
  access,
  resource_type: 'Database',
  resource_name: name,
  resource: { id: `db_${name}`, name, deleted_at: deleted ? '2026-01-01T00:00:00.000Z' : null }
})
const org = (access: string): TokenAccess => ({ access, resource_type: 'Organization', resource_name: 'acme' })

describe('grantsFromAccesses', () => {
  test('one grant per database plus one for the organization, organization first, deleted databases dropped', () => {
    const grants = grantsFromAccesses(
      [
        db('app-db', 'read_branch'),
        org('read_service_tokens'),
        db('app-db', 'connect_branch'),
        db('gone', 'read_branch', true),
        db('b', 'read_branch'),
        org('write_service_tokens')
      ],
      'tok'
    )
    expect(grants).toEqual([
      { database: '', access: ['read_service_tokens', 'write_service_tokens'] },
      { database: 'app-db', access: ['connect_branch', 'read_branch'] },
      { database: 'b', access: ['read_branch'] }
    ])
  })

  test('an unknown resource type is an error, not skipped', () => {
    expect(() => grantsFromAccesses([{ access: 'x', resource_type: 'Branch', resource_name: 'main' }], 'tok')).toThrow(
      RotationError
    )
    expect(() => grantsFromAccesses([{ access: 'x', resource_type: 'Branch', resource_name: 'main' }], 'tok')).toThrow(
      /Branch.*accesses/
    )
  })

  test('access keys and their difference', () => {
    const intended = accessKeys([
      { database: '', access: ['a'] },
      { database: 'd', access: ['b', 'c'] }
    ])
    const actual = accessKeys([{ database: 'd', access: ['b', 'x'] }])
    expect([...intended].sort()).toEqual(['database:d:b', 'database:d:c', 'organization:a'])
    expect(diffAccessSets(intended, actual)).toEqual({
      missing: ['database:d:c', 'organization:a'],
      unexpected: ['database:d:x']
    })
  })

  test('self-rotation needs the three service-token accesses at organization level', () => {
    expect(
      lacksSelfRotationAccesses([
        { database: '', access: ['read_service_tokens'] },
        { database: 'd', access: ['write_service_tokens'] }
      ])
    ).toEqual(['write_service_tokens', 'delete_service_tokens'])
  })
})

describe('lifetimes', () => {
  const token = { id: 't', created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-31T00:00:00.000Z' }
  test('keep copies expires_at - created_at; never and explicit ttl win', () => {
    expect(newTokenTtl({ kind: 'keep' }, token)).toBe(30 * 86400)
    expect(newTokenTtl({ kind: 'keep' }, { ...token, expires_at: null })).toBeUndefined()
    expect(newTokenTtl({ kind: 'never' }, token)).toBeUndefined()
    expect(newTokenTtl({ kind: 'seconds', seconds: 60 }, token)).toBe(60)
  })

  test('min-age skips a young token unless it expires within min-age', () => {
    const now = new Date('2026-01-11T00:00:00.000Z') // 10 days old, expires in 20 days
    expect(minAgeSkip(token, 0, now)).toBeUndefined()
    expect(minAgeSkip(token, 5 * 86400, now)).toBeUndefined()
    expect(minAgeSkip(token, 15 * 86400, now)).toMatch(/created 10d ago, less than min-age \(15d\)/)
    expect(minAgeSkip(token, 25 * 86400, now)).toBeUndefined()
    expect(minAgeSkip({ ...token, expires_at: null }, 25 * 86400, now)).toMatch(/min-age/)
  })
})

describe('readTuning', () => {
  test('defaults, values and refusals naming the variable', () => {
    expect(readTuning({})).toEqual({
      writeSpacingMs: 1000,
      writeConcurrency: 8,
      retryBaseMs: 1000,
      requestTimeoutMs: 15000,
      verifyTimeoutMs: 30000
    })
    expect(readTuning({ PSCALE_ACTION_WRITE_SPACING_MS: '0', PSCALE_ACTION_WRITE_CONCURRENCY: '4' })).toMatchObject({
      writeSpacingMs: 0,
      writeConcurrency: 4
    })
    expect(() => readTuning({ PSCALE_ACTION_WRITE_CONCURRENCY: '0' })).toThrow(InputError)
    expect(() => readTuning({ PSCALE_ACTION_REQUEST_TIMEOUT_MS: '1.5' })).toThrow(/PSCALE_ACTION_REQUEST_TIMEOUT_MS/)
  })
})
