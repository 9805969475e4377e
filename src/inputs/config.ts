// The typed configuration every command runs from. Produced once by parseInputs().
import type { Credentials, Grant } from '../planetscale/types.js'
import type { TargetSpec } from './targets.js'
import type { Tuning } from './tuning.js'

export const COMMANDS = ['rotate', 'create', 'list', 'delete'] as const
export type Command = (typeof COMMANDS)[number]

export type Ttl =
  /** rotate: keep the old token's lifetime; create: no expiry. */
  { kind: 'keep' } | { kind: 'never' } | { kind: 'seconds'; seconds: number }

export interface Config {
  command: Command
  organization: string
  credentials: Credentials
  /** rotate: the token to replace; delete: the token to delete. Defaults to credentials.id. */
  tokenId: string
  /** Whether `token-id` was given (the delete self-guard needs to know). */
  tokenIdExplicit: boolean
  /** Parsed `targets` (rotate/create only; empty for list/delete). */
  targets: TargetSpec[]
  /** Set exactly when there are targets (the parser requires it then). */
  githubToken: string | undefined
  idSecretName: string
  tokenSecretName: string
  /** `token-name` with {date}, {repository}, {run_id} filled in. */
  tokenName: string
  /** Parsed `accesses`; undefined = copy the old token's (rotate). */
  accesses: Grant[] | undefined
  ttl: Ttl
  minAgeSeconds: number
  deletePrevious: boolean
  dryRun: boolean
  /** Without a trailing slash. */
  planetscaleApiUrl: string
  /** Without a trailing slash. */
  githubApiUrl: string
  /** The PSCALE_ACTION_* environment knobs. */
  tuning: Tuning
}
