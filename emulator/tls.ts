// A throwaway certificate authority and a server certificate it signs, made with the openssl
// command line: what a corporate proxy that re-signs TLS looks like to the action, which must
// trust it through NODE_EXTRA_CA_CERTS. Test-only material, written to a fresh directory.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificates {
  /** The directory holding every file below. */
  dir: string
  /** The authority's certificate (PEM): the file NODE_EXTRA_CA_CERTS names. */
  caFile: string
  /** The server's key and certificate (PEM), for the emulator's TLS option. */
  key: string
  cert: string
}

/** A CA and a certificate for `hostnames` (DNS names), valid for two days. */
export function testCertificates(hostnames: readonly string[]): TestCertificates {
  if (hostnames.length === 0) throw new Error('testCertificates: name at least one host')
  const dir = mkdtempSync(join(tmpdir(), 'pscale-emulator-tls-'))
  const file = (name: string) => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=pscale-token-action test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  ])
  openssl(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${hostnames[0]}`])
  writeFileSync(
    file('server.ext'),
    [
      `subjectAltName=${hostnames.map((h) => `DNS:${h}`).join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth'
    ].join('\n')
  )
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('server.ext')
  ])
  return {
    dir,
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8')
  }
}
