// Shared fixtures for the GitHub client tests: a GHES-style base URL, a recording
// logger, fresh key pairs, and clients tuned for fast tests.
import sodium from 'libsodium-wrappers'
import nock from 'nock'
import { expect } from '@jest/globals'
import { createOctokit, type OctokitOptions } from '../../src/github/octokit.js'
import { createSecretsApi } from '../../src/github/secrets.js'
import { USER_AGENT } from '../../src/main.js'
import type { TargetSpec } from '../../src/inputs/targets.js'
import type { Logger } from '../../src/rotation/ports.js'

export const ORIGIN = 'https://ghe.example'
export const PREFIX = '/api/v3'
export const BASE_URL = `${ORIGIN}${PREFIX}`
export const GITHUB_TOKEN = 'ghs_TestToken0123456789abcdefABCDEF'

/** Padded standard base64, as GitHub's API validates it. */
export const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export interface RecordingLogger extends Logger {
  lines: string[]
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`)
  }
}

export function harness(options: Partial<OctokitOptions> = {}) {
  const log = recordingLogger()
  const octokit = createOctokit({
    token: GITHUB_TOKEN,
    baseUrl: BASE_URL,
    log,
    userAgent: USER_AGENT,
    retries: 1,
    ...options
  })
  return { log, octokit, secrets: createSecretsApi({ octokit, log }) }
}

/** nock scope on the GHES host that insists on the token header. */
export function github() {
  return nock(ORIGIN).matchHeader('authorization', `token ${GITHUB_TOKEN}`)
}

export interface KeyPair {
  keyId: string
  publicKey: Uint8Array
  privateKey: Uint8Array
  /** The body of `GET <scope>/secrets/public-key`. */
  body: { key_id: string; key: string }
}

let keyCounter = 0
export async function keyPair(): Promise<KeyPair> {
  await sodium.ready
  const { publicKey, privateKey } = sodium.crypto_box_keypair()
  // A long numeric string, as GitHub sends: must stay a string end to end.
  const keyId = `56825016724254974${keyCounter++}`
  return {
    keyId,
    publicKey,
    privateKey,
    body: { key_id: keyId, key: sodium.to_base64(publicKey, sodium.base64_variants.ORIGINAL) }
  }
}

export function open(encryptedValue: string, pair: KeyPair): string {
  const sealed = sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL)
  return sodium.to_string(sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.privateKey))
}

export const repoTarget: TargetSpec = { kind: 'repo', label: 'repo:acme/api', owner: 'acme', repo: 'api' }
export const environmentTarget: TargetSpec = {
  kind: 'environment',
  label: 'environment:acme/api/prod/eu west',
  owner: 'acme',
  repo: 'api',
  environment: 'prod/eu west'
}
export const dependabotTarget: TargetSpec = {
  kind: 'dependabot',
  label: 'dependabot:acme/api',
  owner: 'acme',
  repo: 'api'
}
export const orgTarget: TargetSpec = { kind: 'org', label: 'org:acme', org: 'acme' }
export const dependabotOrgTarget: TargetSpec = { kind: 'dependabot-org', label: 'dependabot-org:acme', org: 'acme' }

/** Each kind's scope path under the API prefix (environment name encoded once). */
export const scopePaths: Record<TargetSpec['kind'], string> = {
  repo: `${PREFIX}/repos/acme/api/actions`,
  environment: `${PREFIX}/repos/acme/api/environments/prod%2Feu%20west`,
  dependabot: `${PREFIX}/repos/acme/api/dependabot`,
  org: `${PREFIX}/orgs/acme/actions`,
  'dependabot-org': `${PREFIX}/orgs/acme/dependabot`
}

export const allTargets: TargetSpec[] = [
  repoTarget,
  environmentTarget,
  dependabotTarget,
  orgTarget,
  dependabotOrgTarget
]

/** Nothing the tests send as a credential or a value may reach a log line. */
export function expectNothingSecret(text: string, ...secrets: string[]): void {
  for (const secret of [GITHUB_TOKEN, ...secrets]) expect(text).not.toContain(secret)
}
