/**
 * Test helper: runs a real single-member etcd 3.4 on loopback in a temp dir, with OS-chosen free
 * ports (retried when another process grabs one first), and wraps the etcdctl snapshot commands.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../../examples/kv-cluster/driver.js';

export { freePort };

/** A running etcd member. */
export interface EtcdProcess {
  /** Client URL, http://127.0.0.1:port. */
  readonly clientUrl: string;
  /** Peer URL. */
  readonly peerUrl: string;
  /** Member name. */
  readonly name: string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Runs a command; resolves with its output, rejects with stderr on a non-zero exit. */
export function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr}`));
    });
  });
}

function waitReady(child: ChildProcess, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`etcd not ready within ${String(deadlineMs)} ms:\n${log.slice(-2000)}`)), deadlineMs);
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (log.includes('ready to serve client requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`etcd exited with ${String(code)}:\n${log.slice(-2000)}`));
    });
  });
}

/**
 * Starts etcd on `dataDir` (a fresh one, or one `etcdctl snapshot restore` made with the same
 * `name` and `peerUrl`). With `peerUrl` given, only the client port is chosen here.
 */
export async function startEtcd(dataDir: string, name = 'e1', peerUrl?: string): Promise<EtcdProcess> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const clientUrl = `http://127.0.0.1:${String(await freePort())}`;
    const peer = peerUrl ?? `http://127.0.0.1:${String(await freePort())}`;
    const child = spawn('etcd', [
      '--name', name, '--data-dir', dataDir,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${name}=${peer}`, '--log-level', 'info',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitReady(child, 20_000);
      return {
        clientUrl, peerUrl: peer, name,
        stop: () => new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
      };
    } catch (err) {
      lastErr = err;
      child.kill('SIGKILL');
      if (!String(err).includes('address already in use')) break;
    }
  }
  throw lastErr;
}

/** `etcdctl snapshot save` against `etcd` (a process or a client URL) into `file`. */
export async function snapshotSave(etcd: EtcdProcess | string, file: string): Promise<void> {
  await run('etcdctl', ['--endpoints', typeof etcd === 'string' ? etcd : etcd.clientUrl, 'snapshot', 'save', file]);
}

/** `etcdctl -w json snapshot status` of `file`. */
export async function snapshotStatusCtl(file: string): Promise<{ hash: number; revision: number; totalKey: number; totalSize: number }> {
  return JSON.parse(await run('etcdctl', ['-w', 'json', 'snapshot', 'status', file])) as { hash: number; revision: number; totalKey: number; totalSize: number };
}

/** `etcdctl snapshot restore` of `file` into `<dir>/restored` for member `name` at `peerUrl`; returns the data dir. */
export async function snapshotRestore(file: string, dir: string, name: string, peerUrl: string): Promise<string> {
  const dataDir = join(dir, 'restored');
  await run('etcdctl', ['snapshot', 'restore', file, '--data-dir', dataDir, '--name', name, '--initial-cluster', `${name}=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl]);
  return dataDir;
}
