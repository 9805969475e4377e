// Access names the emulator knows (anything else is 422), with PlanetScale-style descriptions.

export const ORGANIZATION_ACCESSES: Record<string, string> = {
  read_service_tokens: 'Read service tokens',
  write_service_tokens: 'Create and update service tokens',
  delete_service_tokens: 'Delete service tokens',
  read_databases: 'Read databases',
  create_databases: 'Create databases',
  delete_databases: 'Delete databases',
  read_audit_logs: 'Read audit logs',
  read_invoices: 'Read invoices',
  read_members: 'Read organization members',
  read_oauth_applications: 'Read OAuth applications'
}

export const DATABASE_ACCESSES: Record<string, string> = {
  read_database: 'Read database',
  delete_database: 'Delete database',
  write_database: 'Update database settings',
  read_branch: 'Read database branches',
  create_branch: 'Create database branches',
  delete_branch: 'Delete database branches',
  delete_production_branch: 'Delete production database branches',
  connect_branch: 'Connect to database branches',
  connect_production_branch: 'Connect to production database branches',
  delete_branch_password: 'Delete database branch passwords',
  read_deploy_request: 'Read deploy requests',
  create_deploy_request: 'Create deploy requests',
  approve_deploy_request: 'Approve deploy requests',
  deploy_deploy_request: 'Deploy deploy requests',
  read_comment: 'Read deploy request comments',
  create_comment: 'Comment on deploy requests',
  read_backups: 'Read backups',
  create_backup: 'Create backups',
  delete_backups: 'Delete backups',
  restore_backup: 'Restore backups'
}

/** Only organization administrators may grant these, so a service token never can. */
export const ADMIN_ONLY_ACCESSES: ReadonlySet<string> = new Set(['create_databases'])

export function isKnownAccess(name: string): boolean {
  return Object.hasOwn(ORGANIZATION_ACCESSES, name) || Object.hasOwn(DATABASE_ACCESSES, name)
}

export function describeAccess(name: string): string {
  return ORGANIZATION_ACCESSES[name] ?? DATABASE_ACCESSES[name] ?? name
}
