// Shared fixtures for the PlanetScale client tests: a client wired to nock with a recorded
// sleep and logger, and a check that no secret reached a message or a log line.
import { expect } from '@jest/globals'
import nock from 'nock'
import { PlanetScaleError } from '../../src/errors.js'
import { USER_AGENT } from '../../src/main.js'
import { createPlanetScaleClient, type PlanetScaleClientOptions } from '../../src/planetscale/client.js'
import type { Credentials } from '../../src/planetscale/types.js'
import type { Logger } from '../../src/rotation/ports.js'

export const ORIGIN = 'https://api.planetscale.test'
export const BASE_URL = `${ORIGIN}/v1`
export const ORG = 'acme'
export const CREDENTIALS: Credentials = { id: 'abcd1234efgh', token: 'pscale_tkn_CREDENTIAL_SECRET_0001' }
export const AUTHORIZATION = `${CREDENTIALS.id}:${CREDENTIALS.token}`
export const NEW_SECRET = 'pscale_tkn_NEW_TOKEN_SECRET_0002'
export const SECRETS = [CREDENTIALS.token, NEW_SECRET]

export interface Harness {
  client: ReturnType<typeof createPlanetScaleClient>
  sleeps: number[]
  logs: string[]
  masked: string[]
}

const harnesses: Harness[] = []

/** For afterEach: no log line of any client made since the last call held a secret. */
export function expectNoSecretLogged(): void {
  for (const { logs } of harnesses.splice(0)) expectNoSecret(logs)
}

export function harness(overrides: Partial<PlanetScaleClientOptions> = {}): Harness {
  const sleeps: number[] = []
  const logs: string[] = []
  const masked: string[] = []
  const log: Logger = {
    info: (message) => logs.push(message),
    warning: (message) => logs.push(message),
    debug: (message) => logs.push(message)
  }
  const client = createPlanetScaleClient({
    baseUrl: BASE_URL,
    organization: ORG,
    credentials: CREDENTIALS,
    onSecret: (value) => masked.push(value),
    userAgent: USER_AGENT,
    log,
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    // Midpoint jitter makes every backoff wait predictable.
    random: () => 0.5,
    timeoutMs: 1_000,
    ...overrides
  })
  const made = { client, sleeps, logs, masked }
  harnesses.push(made)
  return made
}

const COMMON_HEADERS = {
  authorization: AUTHORIZATION,
  accept: 'application/json',
  'user-agent': USER_AGENT
}

/**
 * A nock scope that only matches requests with our credentials and headers: `json` for
 * requests with a JSON body, `none` for requests that must carry no body and no Content-Type.
 */
export function api(body: 'json' | 'none' = 'none'): nock.Scope {
  return body === 'json'
    ? nock(ORIGIN, { reqheaders: { ...COMMON_HEADERS, 'content-type': 'application/json' } })
    : nock(ORIGIN, { reqheaders: COMMON_HEADERS, badheaders: ['content-type'] })
}

export function expectNoSecret(texts: readonly string[]): void {
  for (const text of texts) {
    for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(text).not.toContain('pscale_tkn_')
  }
}

/** Awaits a rejection, checks it is a PlanetScaleError without secrets, and returns it. */
export async function failure(promise: Promise<unknown>): Promise<PlanetScaleError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(PlanetScaleError)
  const planetScaleError = error as PlanetScaleError
  expectNoSecret([planetScaleError.message, planetScaleError.stack ?? ''])
  return planetScaleError
}

/** A token record as `GET .../service-tokens/{id}` answers it; with an (empty) access list unless `extra` says otherwise. */
export const token = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  name: `github-actions/${id}`,
  display_name: `github-actions/${id}`,
  token: null,
  created_at: '2026-11-22T06:00:00.000Z',
  updated_at: '2026-11-22T06:00:00.000Z',
  expires_at: '2027-02-20T06:00:00.000Z',
  last_used_at: null,
  service_token_accesses: [],
  ...extra
})

export const organizations = { current_page: 1, next_page: null, data: [{ id: 'org1', name: ORG }] }
