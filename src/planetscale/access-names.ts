// The access names PlanetScale's reference lists for endpoints usable with service tokens (46,
// August 2026). The list may grow: an unknown name is worth a warning, not a refusal; the hard
// check is that the action's own token holds what it grants.
export const KNOWN_ACCESSES: ReadonlySet<string> = new Set(
  (
    'approve_deploy_request connect_branch connect_production_branch connect_production_read_only_branch ' +
    'create_branch create_branch_password create_comment create_databases create_deploy_request ' +
    'create_production_branch_password create_production_read_only_branch_password delete_backups delete_branch ' +
    'delete_branch_password delete_database delete_oauth_tokens delete_production_branch ' +
    'delete_production_branch_backups delete_production_branch_password ' +
    'delete_production_read_only_branch_password delete_service_tokens demote_branches promote_branches ' +
    'read_audit_logs read_backups read_branch read_comment read_database read_databases read_deploy_request ' +
    'read_invoices read_oauth_applications read_oauth_tokens read_organization read_service_tokens restore_backup ' +
    'restore_production_branch_backup review_deploy_request write_backups write_branch_vschema write_database ' +
    'write_oauth_tokens write_organization write_production_branch_vschema write_service_tokens write_teams'
  ).split(' ')
)

/** The known name closest to `name` (edit distance), for "did you mean". */
export function closestAccess(name: string): string {
  let best = ''
  let bestDistance = Infinity
  for (const known of KNOWN_ACCESSES) {
    const distance = editDistance(name, known)
    if (distance < bestDistance) [best, bestDistance] = [known, distance]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = row
  }
  return previous[b.length]!
}
