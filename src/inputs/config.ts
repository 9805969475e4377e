// The typed configuration every command runs from. Produced once by parseInputs().
import type { Credentials, Grant } from '../planetscale/types.js'
import type { AuditConfig } from './audit.js'
import type { TargetSpec } from './targets.js'
import type { Tuning } from './tuning.js'

export const COMMANDS = ['rotate', 'create', 'job-token', 'list', 'delete', 'audit'] as const
export type Command = (typeof COMMANDS)[number]

export type Ttl =
  /** rotate: keep the old token's lifetime; create: no expiry. */
  { kind: 'keep' } | { kind: 'never' } | { kind: 'seconds'; seconds: number }

/** When the replaced token goes (rotate). */
export type DeletePrevious =
  | { kind: 'now' } // `true`: deleted in this run
  | { kind: 'never' } // `false`
  | { kind: 'after'; seconds: number } // a duration: a later run deletes it once this long has passed

/** Where the rotation journal (a GitHub Actions configuration variable) lives. */
export interface JournalLocation {
  kind: 'repo' | 'environment' | 'org'
  /** The repository owner, or the organization for 'org'. */
  owner: string
  /** repo and environment. */
  repo?: string
  /** environment only (raw name: everything after the second '/'). */
  environment?: string
  /** The variable's name (default `${idSecretName}_ROTATION`), validated like a secret name. */
  name: string
  /**
   * e.g. 'repo:acme/api', 'environment:acme/api/production', 'org:acme'
   * (as the user wrote the scope, without name=).
   */
  label: string
}

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
  deletePrevious: DeletePrevious
  /** undefined with `journal: none`, and for every command but rotate and create. */
  journal: JournalLocation | undefined
  /** `GITHUB_RUN_ID/GITHUB_RUN_ATTEMPT` (`local/<attempt>` off a runner): who wrote the journal. */
  runId: string
  /** The workflow run's page (server, repository, run and attempt), when the runner named them all. */
  runUrl: string | undefined
  dryRun: boolean
  /** Without a trailing slash. */
  planetscaleApiUrl: string
  /** Without a trailing slash. */
  githubApiUrl: string
  /** `job-token`: export the new pair to the job's later steps as environment variables. */
  exportEnv: boolean
  /** `audit` only (undefined for every other command). */
  audit: AuditConfig | undefined
  /** The PSCALE_ACTION_* environment knobs. */
  tuning: Tuning
}
