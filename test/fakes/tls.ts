/**
 * A throw-away certificate authority and a localhost server certificate,
 * made at test time with openssl(1): nothing secret is checked in, and the
 * daemon trusts the CA only through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const HAS_OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl', '/opt/homebrew/bin/openssl'].some(existsSync)

export interface TestCa {
  /** Path of the CA certificate (for NODE_EXTRA_CA_CERTS). */
  caFile: string
  /** The server's key and certificate, PEM. */
  key: string
  cert: string
}

/** `host` is the server certificate's name; a loopback IP is added for localhost. */
export function makeTestCa(dir: string, host = 'localhost'): TestCa {
  const f = (name: string): string => join(dir, name)
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  ossl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=oma test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  )
  ossl('req', ...ec, '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', `/CN=${host}`)
  writeFileSync(
    f('ext.cnf'),
    `subjectAltName=DNS:${host}${host === 'localhost' ? ',IP:127.0.0.1' : ''}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  )
  ossl(
    'x509',
    '-req',
    '-in',
    f('srv.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('srv.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  )
  return { caFile: f('ca.pem'), key: readFileSync(f('srv.key'), 'utf8'), cert: readFileSync(f('srv.pem'), 'utf8') }
}
