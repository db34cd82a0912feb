import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A member or client key and certificate, as PEM and as files (for etcdctl and the raftkit command). */
export interface Issued {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
}

/** A throwaway PKI made with `openssl` at test time in a temp dir; nothing is committed. */
export interface EtcdPki {
  dir: string;
  /** PEM and file of each CA. */
  ca: Record<string, { pem: string; file: string }>;
  /**
   * A certificate for `name` (CN and DNS SAN, DNS SAN localhost, IP SAN 127.0.0.1; server and
   * client use) signed by `caName`; `san` replaces the SANs (OpenSSL's syntax, `''` for none).
   */
  issue(name: string, caName?: string, san?: string): Issued;
  /** Same as {@link EtcdPki.issue}, but valid only during 2020-01-01 (expired now). */
  expired(name: string, caName?: string): Issued;
  /** A certificate revocation list of `caName` (PEM file) that revokes `revoked`. */
  crl(revoked: readonly Issued[], caName?: string): string;
  dispose(): void;
}

/** Creates CAs named `caNames` (ECDSA P-256, valid one day). */
export function createEtcdPki(caNames: readonly string[] = ['ca']): EtcdPki {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcd-pki-'));
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca: Record<string, { pem: string; file: string }> = {};
  for (const name of caNames) {
    openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`]);
    ca[name] = { pem: readFileSync(join(dir, `${name}.crt`), 'utf8'), file: join(dir, `${name}.crt`) };
  }
  const ext = (name: string, san = `DNS:${name},DNS:localhost,IP:127.0.0.1`): string => {
    const f = join(dir, `${name}.ext`);
    writeFileSync(f, `${san === '' ? '' : `subjectAltName=${san}\n`}basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
    return f;
  };
  const read = (name: string): Issued => ({
    key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
    keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.crt`),
  });
  return {
    dir,
    ca,
    issue(name, caName = caNames[0]!, san?: string) {
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext(name, san)]);
      return read(name);
    },
    expired(name, caName = caNames[0]!) {
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      writeFileSync(join(dir, 'index.txt'), '');
      writeFileSync(join(dir, 'ca.cnf'), [
        '[ca]', 'default_ca = c', '[c]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir', 'serial = $dir/serial.txt',
        'default_md = sha256', 'policy = p', 'copy_extensions = none', '[p]', 'commonName = supplied', '',
      ].join('\n'));
      writeFileSync(join(dir, 'serial.txt'), '1000\n');
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', `${caName}.crt`, '-keyfile', `${caName}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`,
        '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extfile', ext(name), '-notext']);
      return read(name);
    },
    crl(revoked, caName = caNames[0]!) {
      writeFileSync(join(dir, 'crl-index.txt'), '');
      writeFileSync(join(dir, 'crlnumber'), '1000\n');
      writeFileSync(join(dir, 'crl.cnf'), [
        '[ca]', 'default_ca = c', '[c]', `dir = ${dir}`, 'database = $dir/crl-index.txt', 'crlnumber = $dir/crlnumber', 'default_md = sha256', 'default_crl_days = 1', '',
      ].join('\n'));
      const ca = ['-config', 'crl.cnf', '-cert', `${caName}.crt`, '-keyfile', `${caName}.key`];
      for (const r of revoked) openssl(['ca', ...ca, '-revoke', r.certFile]);
      openssl(['ca', ...ca, '-gencrl', '-out', `${caName}.crl`]);
      return join(dir, `${caName}.crl`);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
