// Bundles src/index.ts into the committed dist/index.js the runner executes.
// The @actions/* v3 and Octokit packages are ESM-only, so the bundle is ESM too.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

// @actions/core imports @actions/http-client (and through it undici, half the bundle) only for
// getIDToken (OIDC), which the action never calls. Leaving it out halves the bundle and the
// start-up time; the stub fails loudly should anything ever call it.
const withoutHttpClient = {
  name: 'without-actions-http-client',
  setup(build) {
    build.onResolve({ filter: /^@actions\/http-client(\/|$)/ }, (args) => ({
      path: args.path,
      namespace: 'not-bundled'
    }))
    build.onLoad({ filter: /.*/, namespace: 'not-bundled' }, (args) => ({
      loader: 'js',
      contents: [
        `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled (OIDC is not used by this action)`)}) }`,
        'export class HttpClient { constructor() { fail() } }',
        'export class BearerCredentialHandler { constructor() { fail() } }'
      ].join('\n')
    }))
  }
}

rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [withoutHttpClient],
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  }
})
