import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';
import { freePort } from '../../examples/kv-cluster/driver.js';

export { freePort };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(root, 'src/etcd/cli/main.ts');

/** One `raftkit` member process, run from source with tsx. */
export interface Proc {
  name: string;
  client: string;
  peer: string;
  metrics: string;
  child: ChildProcess;
  stderr: string;
  exited: Promise<number | null>;
}

/** Runs `raftkit restore` (from source through tsx) with `args`: its exit code and output. */
export function raftkitRestore(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'restore', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => res({ code, out }));
  });
}

/** Spawns `raftkit` (from source through tsx) with `args`; resolves once it logs "member started" (or exits). */
export function spawnRaftkit(args: string[], env: Record<string, string> = {}): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  let resolveStarted!: () => void;
  let rejectStarted!: (e: Error) => void;
  const started = new Promise<void>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"member started"')) resolveStarted();
  });
  started.catch(() => undefined);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => {
    rejectStarted(new Error(`raftkit exited with ${code}: ${out}`));
    res(code);
  }));
  return { child, started, exited, output: () => out };
}

/** A TLS cluster of `raftkit` processes on loopback, its PKI and the etcdctl TLS flags. */
/** The flags of a one-member `raftkit` cluster named `name`, with test-speed ticks (20 ms heartbeat, 200 ms election). */
export function singleMemberArgs(name: string, dataDir: string, client: string, peer: string): string[] {
  return [
    '--name', name, '--data-dir', dataDir, '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `${name}=${peer}`,
    '--heartbeat-interval', '20', '--election-timeout', '200',
  ];
}

export interface ProcCluster {
  pki: EtcdPki;
  dir: string;
  procs: Map<string, Proc>;
  ctlTls: string[];
  ctlCert: Issued;
  token: string;
  /** host:port client endpoints of the running members. */
  endpoints(): string[];
  /** Starts member `name` (`existing`: joins; `initialCluster` lists name=peerURL), with the cluster's extra arguments and `args`. */
  start(name: string, state: 'new' | 'existing', initialCluster: string, ports?: { client: number; peer: number; metrics: number }, args?: readonly string[]): Promise<Proc>;
  close(): Promise<void>;
}

/** An etcd3 client of every member of `c`, with etcdctl's client certificate. */
export function etcd3Client(c: ProcCluster): Etcd3 {
  return new Etcd3({
    hosts: [...c.procs.values()].map((p) => p.client),
    credentials: { rootCertificate: readFileSync(c.pki.ca.ca!.file), privateKey: readFileSync(c.ctlCert.keyFile), certChain: readFileSync(c.ctlCert.certFile) },
  });
}

/** Ports for a member to be started later (its peer URL is needed before it starts). */
export async function ports(): Promise<{ client: number; peer: number; metrics: number }> {
  return { client: await freePort(), peer: await freePort(), metrics: await freePort() };
}

/** Starts `names` as a new TLS cluster (client TLS with client-cert auth, peer TLS); every member (a later one too) also gets `extraArgs`. */
export async function startProcCluster(names: string[], extraArgs: readonly string[] = []): Promise<ProcCluster> {
  const pki = createEtcdPki(['ca']);
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcd-procs-'));
  const member = pki.issue('member');
  const ctlCert = pki.issue('etcdctl');
  const token = `tok-${process.pid}`;
  const procs = new Map<string, Proc>();
  const plan = new Map<string, { client: number; peer: number; metrics: number }>();
  for (const n of names) plan.set(n, await ports());
  const initial = names.map((n) => `${n}=https://127.0.0.1:${plan.get(n)!.peer}`).join(',');
  const c: ProcCluster = {
    pki, dir, procs, token, ctlCert,
    ctlTls: ['--cacert', pki.ca.ca!.file, '--cert', ctlCert.certFile, '--key', ctlCert.keyFile],
    endpoints: () => [...procs.values()].filter((p) => p.child.exitCode === null).map((p) => new URL(p.client).host),
    async start(name, state, initialCluster, p, args = []) {
      const pt = p ?? plan.get(name) ?? (await ports());
      const client = `https://127.0.0.1:${pt.client}`;
      const peer = `https://127.0.0.1:${pt.peer}`;
      const metrics = `http://127.0.0.1:${pt.metrics}`;
      const r = spawnRaftkit([
        '--name', name, '--data-dir', join(dir, name), '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', initialCluster,
        '--initial-cluster-state', state, '--initial-cluster-token', token, '--listen-metrics-urls', metrics,
        '--cert-file', member.certFile, '--key-file', member.keyFile, '--trusted-ca-file', pki.ca.ca!.file, '--client-cert-auth',
        '--peer-cert-file', member.certFile, '--peer-key-file', member.keyFile, '--peer-trusted-ca-file', pki.ca.ca!.file, '--peer-client-cert-auth',
        '--heartbeat-interval', '20', '--election-timeout', '200', '--log-level', 'info', ...extraArgs, ...args,
      ]);
      const proc: Proc = { name, client, peer, metrics, child: r.child, get stderr() { return r.output(); }, exited: r.exited };
      procs.set(name, proc);
      await r.started;
      return proc;
    },
    async close() {
      await Promise.all([...procs.values()].map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await p.exited;
      }));
      rmSync(dir, { recursive: true, force: true });
      pki.dispose();
    },
  };
  try {
    await Promise.all(names.map((n) => c.start(n, 'new', initial)));
  } catch (e) {
    // A member that did not start fails the file's setup: the ones that did must not outlive it.
    await c.close();
    throw e;
  }
  return c;
}
