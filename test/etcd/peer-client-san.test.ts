import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { until } from './helpers.js';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// The `raftkit` command checks a dialling peer's certificate SANs against the address it connects
// from, as etcd's peer listener does (checkCertSAN), unless
// --experimental-peer-skip-client-san-verification: a peer certificate whose only IP SAN is
// 10.1.2.3, connecting from 127.0.0.1, is closed after the TLS handshake; with the flag it gets
// as far as raftkit's own handshake (which refuses the bytes sent here as a malformed frame).

let pki: EtcdPki;
let dir = '';
let elsewhere: Issued;
const members: { run: ReturnType<typeof spawnRaftkit>; peerPort: number }[] = [];

beforeAll(async () => {
  pki = createEtcdPki(['ca']);
  dir = mkdtempSync(join(tmpdir(), 'raftkit-peer-san-'));
  const member = pki.issue('member');
  elsewhere = pki.issue('elsewhere', 'ca', 'IP:10.1.2.3');
  const peerTls = ['--peer-cert-file', member.certFile, '--peer-key-file', member.keyFile, '--peer-trusted-ca-file', pki.ca.ca!.file, '--peer-client-cert-auth'];
  for (const extra of [[], ['--experimental-peer-skip-client-san-verification']]) {
    const [client, peerPort] = [await freePort(), await freePort()];
    const name = `san${members.length}`;
    members.push({ peerPort, run: spawnRaftkit([...singleMemberArgs(name, join(dir, name), `http://127.0.0.1:${client}`, `https://127.0.0.1:${peerPort}`), ...peerTls, ...extra]) });
  }
  await Promise.all(members.map((m) => m.run.started));
}, 60_000);
afterAll(async () => {
  for (const m of members) m.run.child.kill('SIGKILL');
  await Promise.all(members.map((m) => m.run.exited));
  rmSync(dir, { recursive: true, force: true });
  pki.dispose();
});

/** Dials the member's peer port with `cert` and, once the TLS handshake is done, writes a frame header announcing 4 GiB. */
function dialWithGarbage(peerPort: number, cert: Issued): void {
  const s = tls.connect({ host: '127.0.0.1', port: peerPort, ca: pki.ca.ca!.pem, key: cert.key, cert: cert.cert }, () => s.write(Buffer.alloc(8, 0xff)));
  s.on('error', () => undefined);
  s.on('close', () => s.destroy());
}

test('a peer certificate whose IP SAN is not the address it dials from is refused; --experimental-peer-skip-client-san-verification lets it through', async () => {
  const [checked, skipped] = members as [typeof members[0], typeof members[0]];
  dialWithGarbage(checked.peerPort, elsewhere);
  dialWithGarbage(skipped.peerPort, elsewhere);
  await until(() => checked.run.output().includes('do not name'), 'the SAN refusal in the checking member\'s log');
  await until(() => /peer transport.*frame/i.test(skipped.run.output()), 'the frame refusal in the skipping member\'s log');
  expect(skipped.run.output()).not.toContain('do not name');
  expect(checked.run.output()).not.toMatch(/peer transport.*frame/i);
});
