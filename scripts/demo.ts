// `npm run demo`: a whole rotation, end to end, against the emulator. It runs the committed
// bundle exactly as a runner would and then shows, from the emulator's side, what happened.
import { startEmulator, seedDemo } from '../emulator/index.js'
import { findLeaks, runAction } from './lib/run-bundle.js'

const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const heading = (s: string): void => console.log(`\n${bold(`== ${s}`)}`)
const checks: [string, boolean][] = []
const check = (what: string, ok: boolean): void => {
  checks.push([what, ok])
  console.log(`  ${ok ? '✔' : '✘'} ${what}`)
}
// The demo prints token IDs, never token values.
const fingerprint = (secret: string | undefined): string =>
  secret ? `${secret.slice(0, 11)}… (${secret.length} chars)` : '(none)'

const emu = await startEmulator({ latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 20) })
try {
  const seed = seedDemo(emu)
  const target = `repo:${seed.repository}`
  const environmentTarget = `environment:${seed.repository}/${seed.environment}`
  for (const scope of [target, environmentTarget]) {
    emu.github.putSecretPlain(scope, ID_NAME, seed.token.id)
    emu.github.putSecretPlain(scope, TOKEN_NAME, seed.token.token)
  }
  const accessesBefore = emu.planetscale.accessSet(seed.token.id)

  heading('Emulator')
  console.log(`  PlanetScale API  ${emu.planetscaleUrl}  (organization "${seed.organization}")`)
  console.log(`  GitHub API       ${emu.githubUrl}  (repository ${seed.repository}, environment ${seed.environment})`)
  console.log(`  Token to rotate  ${seed.token.id}  with ${accessesBefore.length} accesses:`)
  for (const access of accessesBefore) console.log(`    ${access}`)

  heading('Running dist/index.js as a runner would (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY)')
  const run = await runAction(
    {
      organization: seed.organization,
      'service-token-id': seed.token.id,
      'service-token': seed.token.token,
      'github-token': seed.githubToken,
      targets: `${target}\n${environmentTarget}`,
      ttl: '30d',
      'planetscale-api-url': emu.planetscaleUrl,
      'github-api-url': emu.githubUrl
    },
    { env: { GITHUB_REPOSITORY: seed.repository, PSCALE_ACTION_WRITE_SPACING_MS: '100' } }
  )
  const log = (run.stdout + run.stderr)
    .split('\n')
    .filter((line) => line && !line.startsWith('::debug::') && !line.startsWith('::add-mask::'))
  for (const line of log) console.log(`  | ${line}`)
  console.log(`  exit code ${run.code}, ${run.durationMs} ms`)

  heading('Outputs')
  for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`)
  const newId = run.outputs['token-id'] ?? ''

  heading('What the emulator holds now')
  for (const scope of [target, environmentTarget]) {
    const id = emu.github.secret(scope, ID_NAME)?.value
    const token = emu.github.secret(scope, TOKEN_NAME)?.value
    console.log(`  ${scope}: ${ID_NAME}=${id}  ${TOKEN_NAME}=${fingerprint(token)} (decrypted by the emulator)`)
    check(
      `${scope} holds the new pair and it authenticates`,
      id === newId && !!token && emu.planetscale.authenticates({ id, token })
    )
    check(
      `${scope}: the new token has the old token's accesses`,
      emu.planetscale.accessSet(newId).join() === accessesBefore.join()
    )
  }
  check('the action exited 0 and reported rotated=true', run.code === 0 && run.outputs.rotated === 'true')
  check(`the new token ${newId} is a different token`, newId !== '' && newId !== seed.token.id)
  check(
    `the old token ${seed.token.id} no longer authenticates (deleted)`,
    !emu.planetscale.authenticates(seed.token) && !emu.planetscale.isAlive(seed.token.id)
  )
  check(
    'no token value appears in the output',
    findLeaks(run, [...emu.planetscale.tokenSecrets(), seed.githubToken]).length === 0
  )

  heading('Job summary (GITHUB_STEP_SUMMARY)')
  console.log(run.summary.replace(/^/gm, '  '))
} finally {
  await emu.stop()
}

const failed = checks.filter(([, ok]) => !ok)
console.log(
  failed.length === 0
    ? bold('\nDemo rotation succeeded.')
    : bold(`\nDemo failed: ${failed.length} check(s) did not hold.`)
)
process.exitCode = failed.length === 0 ? 0 : 1
