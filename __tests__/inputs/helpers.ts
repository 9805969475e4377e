import { InputError } from '../../src/errors.js'
import { parseInputs } from '../../src/inputs/index.js'
import type { Config } from '../../src/inputs/config.js'

export const NOW = new Date('2026-11-22T06:00:00.123Z')
export const SERVICE_TOKEN = 'pscale_tkn_Abc123SECRETvalue'
export const GITHUB_TOKEN = 'ghs_GitHubAppSecretValue123'
export const ENV = { GITHUB_REPOSITORY: 'acme/api', GITHUB_RUN_ID: '4242', GITHUB_API_URL: 'https://api.github.com' }

/** The minimal valid inputs for `rotate`. */
export const BASE: Record<string, string> = {
  organization: 'acme',
  'service-token-id': 'abcdef123456',
  'service-token': SERVICE_TOKEN,
  'github-token': GITHUB_TOKEN
}

export function parse(
  inputs: Record<string, string> = {},
  env: Record<string, string | undefined> = ENV,
  now: Date = NOW
): Config {
  const all = { ...BASE, ...inputs }
  // Unset inputs read as '', as core.getInput does.
  return parseInputs((name) => all[name] ?? '', env, now)
}

export function inputError(run: () => unknown): InputError {
  try {
    run()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError, but nothing was thrown')
}
