import { existsSync } from 'node:fs';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { tsxLoaderFor } from '../../source-loader.js';
import { ParallelCheckError } from './errors.js';
import type { ModelRecipe } from './model.js';
import { FLAG_FINISHED, type PartitionReport, type SharedPartition } from './share.js';

/** What the calling thread asks a worker to check (worker.ts answers with a {@link ShareReply}). */
export interface ShareRequest {
  /** Matches the reply to the request. */
  readonly id: number;
  /** How the worker builds the model. */
  readonly recipe: ModelRecipe;
  /** The worker's share of the partitions, in index order. */
  readonly partitions: readonly SharedPartition<unknown, unknown>[];
  /** The check's `maxSteps`. */
  readonly maxSteps: number;
  /** The deadline as a wall-clock time (`performance.timeOrigin + performance.now()`), or `Infinity`. */
  readonly deadlineAt: number;
  /** The check's shared flags (share.ts). */
  readonly flags: SharedArrayBuffer;
}

/** A worker's answer: its reports, or the error that stopped it. */
export type ShareReply =
  | { readonly id: number; readonly reports: readonly PartitionReport[] }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly code?: string } };

/** One pooled worker and the port it answers on. */
interface PoolThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** The worker's error (or exit code) once it is known to be gone. */
  failure: string | undefined;
}

/** The pool: started on first use, kept between checks, never keeping the process alive. */
const pool: PoolThread[] = [];
let lastId = 0;
/** How long the calling thread sleeps between looks at whether a worker died (ms). */
const WAIT_SLICE_MS = 100;

/**
 * The worker's entry file, and the module to import before it when running from the
 * TypeScript sources (tests, benchmarks): tsx's loader, since Node 20 does not apply a
 * parent's `--import tsx` to a worker's entry.
 */
function workerEntry(): { entry: string; loader: string | undefined } {
  const here = import.meta.url;
  const loader = tsxLoaderFor(here);
  if (loader !== undefined) return { entry: new URL('./worker.ts', here).href, loader };
  // Built: this code sits in a shared chunk in dist/ or in dist/testing/; the entry is dist/testing/checker-worker.
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  for (const path of [`./testing/checker-worker${ext}`, `./checker-worker${ext}`]) {
    const url = new URL(path, here);
    if (existsSync(url)) return { entry: url.href, loader: undefined };
  }
  throw new ParallelCheckError(`the checker's worker file testing/checker-worker${ext} is missing next to ${here}`);
}

/**
 * What a worker runs first: it imports the loader (if any) and the entry; if that fails,
 * it answers every request with the error, so that the calling thread, blocked waiting,
 * hears of it (it cannot see the worker exit while it is blocked).
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { port, entry, loader, finished } = workerData;
(async () => {
  if (loader !== undefined) (await import(loader)).register();
  await import(entry);
})().catch((err) => {
  const error = { name: String(err && err.name), message: String(err && err.message) };
  port.on('message', (request) => {
    port.postMessage({ id: request.id, error });
    const flags = new Int32Array(request.flags);
    Atomics.add(flags, finished, 1);
    Atomics.notify(flags, finished);
  });
});
`;

function spawn(): PoolThread {
  const { entry, loader } = workerEntry();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { port: port2, entry, loader, finished: FLAG_FINISHED }, transferList: [port2] });
  const thread: PoolThread = { worker, port: port1, failure: undefined };
  worker.on('error', (err) => {
    thread.failure = err.message;
  });
  worker.on('exit', (code) => {
    thread.failure ??= `exited with code ${code}`;
    const at = pool.indexOf(thread);
    if (at >= 0) pool.splice(at, 1);
  });
  worker.unref();
  port1.unref();
  return thread;
}

/** Posts one request per worker (starting workers as needed); returns the threads asked, in order. */
export function postShares(requests: readonly Omit<ShareRequest, 'id'>[]): { threads: PoolThread[]; id: number } {
  for (let i = pool.length - 1; i >= 0; i--) if (pool[i]!.worker.threadId === -1) pool.splice(i, 1);
  while (pool.length < requests.length) pool.push(spawn());
  const id = ++lastId;
  const threads = pool.slice(0, requests.length);
  for (const [i, request] of requests.entries()) threads[i]!.port.postMessage({ ...request, id } satisfies ShareRequest);
  return { threads, id };
}

/** How long past a check's deadline the calling thread still waits for a worker's answer (ms). */
const GRACE_MS = 10_000;

/**
 * Blocks the calling thread until every worker of a check has answered (workers count
 * themselves in the shared flags and wake it), then takes their replies off their ports.
 * A worker that dies without running its exit handlers (out of memory) cannot answer, and
 * the blocked thread cannot see it exit: with a deadline (`deadlineAt`, wall clock) it
 * gives up {@link GRACE_MS} after it.
 *
 * @throws {@link ParallelCheckError} when a worker failed or exited without answering.
 */
export function awaitShares(threads: readonly PoolThread[], id: number, flags: Int32Array, deadlineAt: number): PartitionReport[][] {
  for (let finished = Atomics.load(flags, FLAG_FINISHED); finished < threads.length; finished = Atomics.load(flags, FLAG_FINISHED)) {
    if (Atomics.wait(flags, FLAG_FINISHED, finished, WAIT_SLICE_MS) !== 'timed-out') continue;
    if (performance.timeOrigin + performance.now() > deadlineAt + GRACE_MS) {
      // They may be stuck for good: replace them all.
      for (const { worker } of threads) {
        void worker.terminate();
        const at = pool.findIndex((t) => t.worker === worker);
        if (at >= 0) pool.splice(at, 1);
      }
      throw new ParallelCheckError(`no answer from a checker thread ${GRACE_MS} ms past the check's time limit`);
    }
    const gone = threads.find((t) => t.worker.threadId === -1);
    if (gone !== undefined && Atomics.load(flags, FLAG_FINISHED) < threads.length) {
      throw new ParallelCheckError(`a checker thread stopped before answering${gone.failure === undefined ? '' : `: ${gone.failure}`}`);
    }
  }
  return threads.map((thread) => {
    for (;;) {
      const received = receiveMessageOnPort(thread.port);
      if (received === undefined) throw new ParallelCheckError('a checker thread counted itself finished without answering');
      const reply = received.message as ShareReply;
      if (reply.id !== id) continue; // a reply to an earlier check that stopped early
      if ('error' in reply) {
        const cause = Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code });
        throw new ParallelCheckError(`a checker thread failed: ${reply.error.name}: ${reply.error.message}`, { cause });
      }
      return [...reply.reports];
    }
  });
}

/**
 * Stops the worker threads of parallel checks (`CheckOptions.parallel`). They never keep
 * the process alive, so this is only needed to free them early (in a long-lived process,
 * or between test files); a later parallel check starts new ones.
 */
export async function closeCheckerThreads(): Promise<void> {
  const threads = pool.splice(0, pool.length);
  await Promise.all(
    threads.map(async ({ worker, port }) => {
      port.close();
      await worker.terminate();
    }),
  );
}

/** How many worker threads are running (for tests). */
export function checkerThreadCount(): number {
  return pool.length;
}
