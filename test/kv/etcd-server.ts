import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noop } from 'cockatiel'; // etcd3's own dependency: no retries, no circuit breaker
import { Etcd3 } from 'etcd3';
import { freePort } from '../../examples/kv-cluster/driver.js';

/** One real single-member etcd in a temp dir on loopback ports, and an etcd3 client for it. */
export class EtcdServer {
  readonly client: Etcd3;
  /** The client URL (`http://127.0.0.1:port`). */
  readonly url: string;
  private readonly proc: ChildProcess;
  private readonly dir: string;
  private exited: string | undefined;
  private stderr = '';

  private constructor(proc: ChildProcess, dir: string, clientPort: number) {
    this.proc = proc;
    this.dir = dir;
    this.url = `http://127.0.0.1:${String(clientPort)}`;
    this.client = new Etcd3({ hosts: `http://127.0.0.1:${clientPort}`, faultHandling: { global: noop, host: () => noop } });
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    proc.once('exit', (code, sig) => {
      this.exited = `etcd exited (${String(code ?? sig)})`;
    });
  }

  /**
   * Starts etcd and resolves once it answers a range, polling until `deadlineMs`. Rejects
   * (never skips) when etcd is missing, exits, or is not ready in time; tries new ports 3 times.
   * `extraArgs` may be made from the plain-text client port (to add URLs to `--listen-client-urls`).
   */
  static async start(deadlineMs = 20_000, extraArgs: readonly string[] | ((clientPort: number) => readonly string[]) = []): Promise<EtcdServer> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [cp, pp] = [await freePort(), await freePort()];
      const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcd-'));
      const proc = spawn('etcd', [
        '--name', 'diff', '--data-dir', join(dir, 'data'),
        '--listen-client-urls', `http://127.0.0.1:${cp}`, '--advertise-client-urls', `http://127.0.0.1:${cp}`,
        '--listen-peer-urls', `http://127.0.0.1:${pp}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${pp}`,
        '--initial-cluster', `diff=http://127.0.0.1:${pp}`, '--log-level', 'error', '--logger', 'zap', ...(typeof extraArgs === 'function' ? extraArgs(cp) : extraArgs),
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
      const s = new EtcdServer(proc, dir, cp);
      try {
        await Promise.race([s.waitReady(deadlineMs), spawnError]);
        return s;
      } catch (e) {
        last = e;
        await s.stop();
      }
    }
    throw new Error("could not start etcd (is it installed? CI installs etcd-server)", { cause: last });
  }

  private async waitReady(deadlineMs: number): Promise<void> {
    const until = performance.now() + deadlineMs;
    for (;;) {
      if (this.exited !== undefined) throw new Error(`${this.exited}: ${this.stderr}`);
      try {
        await this.client.kv.range({ key: Buffer.from('ready') });
        return;
      } catch (e) {
        if (performance.now() > until) throw new Error(`etcd not ready after ${deadlineMs} ms; ${this.stderr}`, { cause: e });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.exited === undefined) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
