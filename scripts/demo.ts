// `npm run demo`: a whole rotation, end to end, against the emulator. It runs the committed
// bundle exactly as a runner would and then shows, from the emulator's side, what happened.
import { startEmulator, seedDemo } from '../emulator/index.js'
import { findLeaks, runAction, setTestNode } from './lib/run-bundle.js'

const ID_NAME = 'PLANETSCALE_SERVICE_TOKEN_ID'
const TOKEN_NAME = 'PLANETSCALE_SERVICE_TOKEN'
const JOURNAL = `${ID_NAME}_ROTATION`
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

// The runner gives the action Node 24, so every run below uses it (scripts/node24.sh installs it once).
const node = setTestNode()
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
  console.log(`  under ${node}`)
  const inputs = {
    organization: seed.organization,
    'service-token-id': seed.token.id,
    'service-token': seed.token.token,
    'github-token': seed.githubToken,
    targets: `${target}\n${environmentTarget}`,
    ttl: '30d',
    'planetscale-api-url': emu.planetscaleUrl,
    'github-api-url': emu.githubUrl
  }
  const env = { GITHUB_REPOSITORY: seed.repository, PSCALE_ACTION_WRITE_SPACING_MS: '100' }
  const run = await runAction(inputs, { env: { ...env, GITHUB_RUN_ID: '1' } })
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
  const retiresAt = run.outputs['previous-token-retires-at'] ?? ''
  check(
    `the old token ${seed.token.id} still works until ${retiresAt} (delete-previous: 1h), for jobs that read it before`,
    emu.planetscale.authenticates(seed.token) && Date.parse(retiresAt) > Date.now()
  )
  const secrets = (): string[] => [...emu.planetscale.tokenSecrets(), seed.githubToken]
  check('no token value appears in the output', findLeaks(run, secrets()).length === 0)

  heading(`The journal (Actions variable ${JOURNAL} in ${target}): IDs and times, never a token value`)
  const journal = emu.github.variable(target, JOURNAL)?.value ?? ''
  console.log(`  ${journal}`)
  check(
    `the journal schedules ${seed.token.id} for retirement`,
    (JSON.parse(journal || '{}') as { retiring?: { id: string }[] }).retiring?.some((r) => r.id === seed.token.id) ===
      true
  )
  check('the journal holds no token value', !secrets().some((secret) => journal.includes(secret)))

  heading('Job summary (GITHUB_STEP_SUMMARY)')
  console.log(run.summary.replace(/^/gm, '  '))

  heading('A runner killed mid-rotation (SIGKILL between the ID write and the token write), then the next run')
  const held = emu.holdAt({
    api: 'github',
    method: 'PUT',
    path: `/repos/${seed.repository}/actions/secrets/${TOKEN_NAME}`
  })
  let pid: number | undefined
  const pairNow = {
    id: emu.github.secret(target, ID_NAME)?.value ?? '',
    token: emu.github.secret(target, TOKEN_NAME)?.value ?? ''
  }
  const killedRun = runAction(
    { ...inputs, 'service-token-id': pairNow.id, 'service-token': pairNow.token },
    { env: { ...env, GITHUB_RUN_ID: '2' }, onStart: (p) => (pid = p) }
  )
  await held
  process.kill(pid!, 'SIGKILL')
  await killedRun
  emu.releaseHolds()
  const half = {
    id: emu.github.secret(target, ID_NAME)?.value ?? '',
    token: emu.github.secret(target, TOKEN_NAME)?.value ?? ''
  }
  console.log(`  ${target} now holds ${ID_NAME}=${half.id} with the previous token: a pair that does not authenticate`)
  check(`the killed run left ${target} half-written`, !emu.planetscale.authenticates(half))
  const rerun = await runAction(
    { ...inputs, 'service-token-id': half.id, 'service-token': half.token },
    { env: { ...env, GITHUB_RUN_ID: '2', GITHUB_RUN_ATTEMPT: '2' } }
  )
  for (const line of (rerun.stdout + rerun.stderr).split('\n').filter((l) => l.startsWith('::warning::')))
    console.log(`  | ${line}`)
  const repairedId = rerun.outputs['token-id'] ?? ''
  for (const scope of [target, environmentTarget]) {
    const id = emu.github.secret(scope, ID_NAME)?.value ?? ''
    const token = emu.github.secret(scope, TOKEN_NAME)?.value ?? ''
    check(
      `the re-run repaired ${scope}: it holds the newest pair ${repairedId}`,
      id === repairedId && emu.planetscale.authenticates({ id, token })
    )
  }
  check('the re-run exited 0 and reported repaired=true', rerun.code === 0 && rerun.outputs.repaired === 'true')
  check('no token value appears in either run', findLeaks(rerun, secrets()).length === 0)
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
