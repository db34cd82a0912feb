/**
 * Three members over mutual TLS, each identified by its certificate. Run: `npx tsx examples/tls-cluster.ts`.
 *
 * A throwaway CA is made with `openssl` in a temp folder; each member gets a key and a
 * certificate naming it (`CN=member-<id>`, SANs `DNS:member-<id>` and `IP:127.0.0.1`). Every
 * link checks both sides: the certificate must be signed by the CA *and* name the member id
 * the other side speaks for (`bindMemberId`, on by default). So member 2's valid certificate
 * cannot be used to pose as member 3: the handshake is refused before a Raft byte is read.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, MessageType, Replica, TcpTransport, createMessage, type Command, type StateMachine } from 'raftkit';

const dir = mkdtempSync(join(tmpdir(), 'raftkit-tls-'));
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=raftkit-example-ca');
const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');

/** A key and a certificate for `name`, signed by the CA. */
function issue(name: string): { key: string; cert: string } {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${name},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
}

/** A state machine that keeps the last value written. */
class Register implements StateMachine<string> {
  value = '';
  applied = 0;
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): string[] {
    return commands.map((c) => ((this.applied = c.index), (this.value = new TextDecoder().decode(c.data))));
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(this.value);
  }
  restore(s: { index: number; data: Uint8Array }): void {
    this.value = new TextDecoder().decode(s.data);
    this.applied = s.index;
  }
}

const ids = [1, 2, 3];
const certs = ids.map((id) => issue(`member-${id}`));
const transports = ids.map((id, i) => new TcpTransport({ id, port: 0, tls: { ...certs[i]!, ca } }));
await Promise.all(transports.map((t) => t.start())); // listen on free ports first, to learn the addresses
const peers = transports.map((t) => ({ id: t.id, address: t.address! }));
const registers = ids.map(() => new Register());
const replicas = await Promise.all(
  transports.map((transport, i) => Replica.start({ id: transport.id, peers, transport, storage: new MemoryStorage(), stateMachine: registers[i]! })),
);
try {
  // Until the first election, proposals are dropped: wait until every member knows the leader.
  await Promise.all(replicas.map((r) => new Promise((resolve) => r.once('leader-change', resolve))));
  console.log(`member ${replicas[0]!.status().leader} leads; every link is mutual TLS, each side's certificate naming its member id`);
  await replicas[1]!.propose(new TextEncoder().encode('hello over TLS'));
  await replicas[2]!.read();
  console.log(`member 3 reads '${registers[2]!.value}'`);

  // Member 2's certificate (valid, signed by the CA) dials member 1 claiming to be member 3.
  const intruder = new TcpTransport({ id: 3, port: 0, tls: { ...certs[1]!, ca } });
  intruder.on('error', () => undefined);
  const refused = new Promise<string>((resolve) => transports[0]!.on('error', (e) => resolve(`${(e as { code?: string }).code}: ${e.message}`)));
  await intruder.start();
  intruder.addPeer(1, peers[0]!.address);
  intruder.send([createMessage({ type: MessageType.MsgHeartbeat, from: 3, to: 1, term: 1 })]);
  console.log(`member 1 refused member 2's certificate speaking for member 3: ${await refused}`);
  await intruder.close();
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
}
