import { afterEach, describe, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startEmulator, seedDemo, type Emulator } from '../../emulator/index.js'
import { ps, putSecret } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')

describe('seedDemo', () => {
  let emu: Emulator
  afterEach(() => emu.stop())

  test('seeds a self-rotating management token and a GitHub token that can write every scope', async () => {
    emu = await startEmulator()
    const seed = seedDemo(emu)
    expect(seed).toMatchObject({
      organization: 'acme',
      databases: ['app-db', 'analytics'],
      repository: 'acme/api',
      environment: 'production'
    })
    expect(emu.planetscale.authenticates(seed.token)).toBe(true)
    expect(emu.planetscale.accessSet(seed.token.id)).toEqual(
      expect.arrayContaining([
        'organization:read_service_tokens',
        'organization:write_service_tokens',
        'organization:delete_service_tokens',
        'database:app-db:read_branch'
      ])
    )
    expect(emu.github.scopeKeys().sort()).toEqual(
      [
        'dependabot-org:acme',
        'dependabot:acme/api',
        'environment:acme/api/production',
        'org:acme',
        'repo:acme/api'
      ].sort()
    )
    // The management token can create a token and pass all its accesses on.
    const created = await ps(emu, 'POST', '/organizations/acme/service-tokens', seed.token, {})
    for (const grant of [
      {
        database: '',
        access: ['read_service_tokens', 'write_service_tokens', 'delete_service_tokens', 'read_databases']
      },
      { database: 'app-db', access: ['read_database', 'read_branch', 'connect_branch', 'create_deploy_request'] },
      { database: 'analytics', access: ['read_database', 'read_branch'] }
    ]) {
      expect(
        (await ps(emu, 'POST', `/organizations/acme/service-tokens/${created.json.id}/access`, seed.token, grant))
          .status
      ).toBe(200)
    }
    expect(emu.planetscale.accessSet(created.json.id)).toEqual(emu.planetscale.accessSet(seed.token.id))
    expect(
      (await putSecret(emu, seed.githubToken, '/orgs/acme/dependabot', 'X', 'v', { visibility: 'private' })).status
    ).toBe(201)
  })
})

describe('CLI', () => {
  let child: ChildProcess | undefined
  let dir: string
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  test('prints KEY=value lines, writes --json, serves, and cleans up on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'emu-cli-'))
    const jsonFile = join(dir, 'emu.json')
    const proc = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'emulator/cli.ts', '--json', jsonFile, '--latency', '1'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    child = proc
    let stdout = ''
    proc.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))

    const until = Date.now() + 20_000
    while (!existsSync(jsonFile)) {
      if (Date.now() > until || proc.exitCode !== null) throw new Error(`CLI did not start: ${stdout}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const info = JSON.parse(readFileSync(jsonFile, 'utf8'))
    expect(Object.keys(info).sort()).toEqual(
      [
        'environment',
        'githubToken',
        'githubUrl',
        'organization',
        'planetscaleUrl',
        'repository',
        'token',
        'tokenId'
      ].sort()
    )
    const lines = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2))
    )
    expect(lines).toEqual({
      PLANETSCALE_URL: info.planetscaleUrl,
      GITHUB_URL: info.githubUrl,
      ORGANIZATION: 'acme',
      TOKEN_ID: info.tokenId,
      TOKEN: info.token,
      GITHUB_TOKEN: info.githubToken,
      REPOSITORY: 'acme/api',
      ENVIRONMENT: 'production'
    })
    const orgs = await fetch(`${info.planetscaleUrl}/organizations`, {
      headers: { authorization: `${info.tokenId}:${info.token}` }
    })
    expect(orgs.status).toBe(200)
    const repo = await fetch(`${info.githubUrl}/repos/${info.repository}`, {
      headers: { authorization: `Bearer ${info.githubToken}` }
    })
    expect(repo.status).toBe(200)

    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(jsonFile)).toBe(false)
  })
})
