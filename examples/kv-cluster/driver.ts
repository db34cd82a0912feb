/**
 * Starts and drives member processes of the example KV cluster (see member.ts): used by the
 * demo (cluster.ts) and by the multi-process test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
// Members import `raftkit` through the repository's tsconfig `paths`, whatever the working directory.
const tsconfig = join(here, '../../tsconfig.json');

/** An answer from a member. */
export interface Answer {
  req: number;
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

/**
 * Ports below every common OS's ephemeral range (Linux 32768-60999, macOS and Windows 49152-65535):
 * the OS never hands them out for outgoing connections or port-0 listeners, so a port found free
 * here stays free until a member binds it, unless another caller of this function picks it too.
 */
const PORT_RANGE = { from: 20000, to: 32767 } as const;

/**
 * The part of {@link PORT_RANGE} this process picks from: all of it, except under vitest's
 * parallel workers (`VITEST_POOL_ID`, 1 on), where each worker slot takes a quarter of its own,
 * so that test files running side by side never pick the same port.
 */
export function portRange(): { from: number; to: number } {
  const pool = Number(process.env['VITEST_POOL_ID']);
  if (!Number.isInteger(pool) || pool < 1) return PORT_RANGE;
  const size = Math.floor((PORT_RANGE.to - PORT_RANGE.from + 1) / 4);
  const from = PORT_RANGE.from + ((pool - 1) % 4) * size;
  return { from, to: from + size - 1 };
}

/** Whether `port` can be bound on loopback now (it is released again at once). */
function bindable(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Ports this process has handed out: not handed out again (a member may not have bound its port yet). */
const handedOut = new Set<number>();

/**
 * A loopback port that is free now: a random one below the OS's ephemeral range (see
 * {@link PORT_RANGE} and {@link portRange}), checked by binding it, and not one this process has handed out before
 * (calls made together would otherwise pick the same free port now and then). It may still be
 * taken before use by another process, but not by the OS's own choices of ports.
 */
export async function freePort(): Promise<number> {
  const range = portRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port found between ${String(range.from)} and ${String(range.to)}`);
}

/** Finds `n` free loopback ports (see {@link freePort}). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

/** A member process and its request channel. */
export class MemberProcess {
  readonly id: number;
  readonly child: ChildProcess;
  leader = 0;
  term = 0;
  /** False once the process has exited. */
  alive = true;
  /** The messages of the member's `error` events (storage failures, failed applies, …). */
  readonly errors: string[] = [];
  /** Called with each event line the member prints (`leader-change`, `snapshot`, `error`, …). */
  onEvent: ((event: { event: string } & Record<string, unknown>) => void) | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  private readonly started: Promise<void>;
  readonly exited: Promise<number | null>;

  constructor(id: number, dir: string, peers: string) {
    this.id = id;
    this.child = spawn(process.execPath, ['--import', 'tsx', join(here, 'member.ts'), String(id), dir, peers], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    // Writing to a killed member's stdin fails with EPIPE; the request is answered ERR_EXITED.
    this.child.stdin!.on('error', () => undefined);
    let onStarted: () => void = () => undefined;
    let onFailed: (e: Error) => void = () => undefined;
    this.started = new Promise((resolve, reject) => {
      onStarted = resolve;
      onFailed = reject;
    });
    void this.exited.then((code) => {
      this.alive = false;
      onFailed(new Error(`member ${id} exited with ${code}`));
      for (const w of this.waiting.values()) w({ req: 0, ok: false, code: 'ERR_EXITED', message: 'member exited' });
      this.waiting.clear();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as Answer & { event?: string; leader?: number; term?: number; message?: string };
      if (msg.event !== undefined) this.onEvent?.(msg as unknown as { event: string } & Record<string, unknown>);
      if (msg.event === 'started') onStarted();
      else if (msg.event === 'leader-change') {
        this.leader = msg.leader ?? 0;
        this.term = msg.term ?? 0;
      } else if (msg.event === 'fatal') onFailed(new Error(`member ${id}: ${msg.message}`));
      else if (msg.event === 'error') this.errors.push(msg.message ?? '');
      else if (msg.event === undefined) {
        this.waiting.get(msg.req)?.(msg);
        this.waiting.delete(msg.req);
      }
    });
  }

  /** Resolves once the member's replica is running. */
  ready(): Promise<void> {
    return this.started;
  }

  /**
   * Sends a request and resolves with the answer; `ERR_EXITED` if the process exits first, or
   * `ERR_NOT_SENT` at once if it had already exited (so the request was never sent).
   */
  request(op: Record<string, unknown>): Promise<Answer> {
    const req = ++this.seq;
    if (!this.alive) return Promise.resolve({ req, ok: false, code: 'ERR_NOT_SENT', message: 'member had exited' });
    return new Promise((resolve) => {
      this.waiting.set(req, resolve);
      this.child.stdin!.write(`${JSON.stringify({ ...op, req })}\n`);
    });
  }

  /** Kills the process with SIGKILL (no clean shutdown). */
  kill9(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Suspends the process with SIGSTOP (it keeps its sockets but answers nothing). */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** Resumes a process suspended with {@link MemberProcess.pause}. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Asks the member to stop cleanly. */
  stop(): Promise<number | null> {
    this.child.stdin!.end();
    return this.exited;
  }
}

/** Polls `f` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function until<T>(f: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asks every live member for its status and returns the leader all of them agree on. */
export async function agreedLeader(members: readonly MemberProcess[]): Promise<number | undefined> {
  const leaders = await Promise.all(
    members.map(async (m) => {
      const a = await m.request({ op: 'status' });
      return a.ok ? (a.result as { leader: number }).leader : -1;
    }),
  );
  const l = leaders[0];
  return l !== undefined && l > 0 && leaders.every((x) => x === l) ? l : undefined;
}
