// The demo data set: what `npm run emulator`, the demo script and tests start from.
import { githubToken as newGithubToken } from './ids.js'
import type { Emulator } from './index.js'

export interface DemoSeed {
  organization: string
  databases: string[]
  /** A management token that can rotate itself: read/write/delete_service_tokens plus database accesses. */
  token: { id: string; token: string }
  /** A GitHub token allowed to read and write every scope's secrets and variables. */
  githubToken: string
  repository: string
  environment: string
}

export function seedDemo(emu: Emulator): DemoSeed {
  const organization = 'acme'
  const databases = ['app-db', 'analytics']
  const repository = 'acme/api'
  const environment = 'production'
  emu.planetscale.addOrganization(organization, { databases })
  const token = emu.planetscale.addToken(organization, {
    name: 'demo/management',
    accesses: [
      {
        organization: true,
        access: ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens', 'read_databases']
      },
      { database: 'app-db', access: ['read_database', 'read_branch', 'connect_branch', 'create_deploy_request'] },
      { database: 'analytics', access: ['read_database', 'read_branch'] }
    ]
  })
  emu.github.addOrganization(organization)
  emu.github.addRepository(repository, { environments: [environment] })
  const githubToken = newGithubToken()
  emu.github.addToken(githubToken, { scopes: 'all' })
  return { organization, databases, token, githubToken, repository, environment }
}
