/**
 * The `raftkit` command runs its member on a worker thread, so that the member's heap can be
 * sized before it exists: V8 fixes an isolate's young generation when the isolate is created,
 * and a process's own main isolate is created before any of its code runs. The main thread sets
 * the young generation's V8 options, starts the member's thread, forwards SIGTERM and SIGINT to
 * it and exits with its exit code. One process, as before: the same pid, stdio and exit codes.
 */
import v8 from 'node:v8';
import { Worker, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RaftkitError } from '../../errors.js';
import { tsxLoaderFor } from '../../source-loader.js';

/**
 * The semi-space size, MiB, of the member's young generation (V8's default grows from 1 MiB to at
 * most 16 MiB). A put with 64 in flight allocates about 15 KB on each member, and about 2.2 KB of
 * it (15%) survives a scavenge, nearly all of that promoted at the next one: a scavenge costs
 * what survives (it copies it), not what died. At 32 MiB a member scavenges about once per 1,600
 * puts. Measured (`node --trace-gc-nvp`, three members, 64 puts in flight, two runs each on a
 * loaded 2-core box): at 16 MiB it scavenges twice as often, each pause about half as long, 5%
 * more surviving per put and about the same total pause; at 8 MiB four times as often and the
 * total pause 1.5 to 1.9 times longer. The etcd bench's write rows, 16 against 32 in three
 * alternated pairs (`BENCH_NODE_ARGS='--max-semi-space-size=16 --min-semi-space-size=16'`: the
 * command keeps node's own choice): 16 did not lower the p99 (puts at 64 in flight 1.29-1.42
 * times etcd's against 1.26-1.40; watch events 1.02-1.13 against 1.04-1.07), spent 20-30% more
 * time in GC, and did not raise throughput (0.94-0.97 of etcd's against 0.97-1.01).
 */
export const MEMBER_SEMI_SPACE_MIB = 32;

/** Node options that size the young generation themselves (the user's choice is kept). */
const SEMI_SPACE_OPTION = /(^|\s)--(max|min)[-_]semi[-_]space[-_]size\b/;

/**
 * The V8 options the member's thread is created with: a young generation of
 * {@link MEMBER_SEMI_SPACE_MIB} from the start, unless node was started with its own semi-space
 * size (on its command line or in `NODE_OPTIONS`).
 */
export function youngGenerationFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  if (execArgv.some((a) => SEMI_SPACE_OPTION.test(a)) || SEMI_SPACE_OPTION.test(nodeOptions ?? '')) return [];
  return [`--max-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`, `--min-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`];
}

/**
 * What the member's thread runs when the command runs from its TypeScript sources (tests, the
 * bench's `BENCH_MEMBERS=src`): tsx's loader first, since Node 20 does not apply a parent's
 * `--import tsx` to a worker's entry, then the entry.
 */
const TSX_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  (await import(workerData.loader)).register();
  await import(workerData.entry);
})();
`;

/** What the member's thread is started with. */
interface MemberThreadData {
  /** The member thread's end of the HTTP endpoints' channel (endpoint-bridge.ts). */
  readonly endpoints: MessagePort;
  /** The entry and tsx's loader, when the command runs from its TypeScript sources. */
  readonly entry?: string;
  readonly loader?: string;
}

/** A worker running `entry` with the command line `argv`, handed `endpoints`. */
function startWorker(entry: URL, argv: readonly string[], endpoints: MessagePort): Worker {
  const loader = tsxLoaderFor(entry.href);
  const transferList = [endpoints];
  if (loader === undefined) return new Worker(entry, { argv: [...argv], workerData: { endpoints } satisfies MemberThreadData, transferList });
  return new Worker(TSX_BOOTSTRAP, { eval: true, argv: [...argv], workerData: { endpoints, entry: entry.href, loader } satisfies MemberThreadData, transferList });
}

/** On the member's thread: its end of the HTTP endpoints' channel. */
export function endpointsPort(): MessagePort {
  const port = (workerData as Partial<MemberThreadData> | null)?.endpoints;
  if (port === undefined) throw new RaftkitError('ERR_INVALID_ARGUMENT', 'not on a member thread started by runMemberThread');
  return port;
}

/** What the main thread sends the member's thread: stop, because of this signal. */
interface StopRequest {
  readonly stop: string;
}

/**
 * Runs `entry` (the command's own file) on a worker thread with the command line `argv`, after
 * setting {@link youngGenerationFlags}, and hands it `endpoints` (see {@link endpointsPort}).
 * Resolves with the thread's exit code; an error the thread did not catch is written with
 * `writeError` and makes the code 1.
 */
export function runMemberThread(entry: URL, argv: readonly string[], endpoints: MessagePort, writeError: (text: string) => void): Promise<number> {
  for (const flag of youngGenerationFlags(process.execArgv, process.env['NODE_OPTIONS'])) v8.setFlagsFromString(flag);
  const worker = startWorker(entry, argv, endpoints);
  // Once each, as a process that handles them itself: a second SIGTERM or SIGINT ends the process at once.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => worker.postMessage({ stop: signal } satisfies StopRequest));
  return new Promise((resolve) => {
    let failed = false;
    worker.on('error', (e) => {
      failed = true;
      writeError(`raftkit: ${e.stack ?? e.message}\n`);
    });
    worker.on('exit', (code) => resolve(failed && code === 0 ? 1 : code));
  });
}

/**
 * Calls `stop` once with the signal's name when the process is asked to stop: on SIGTERM or
 * SIGINT, or, on the member's thread, when the main thread forwards one.
 */
export function onStopRequest(stop: (signal: string) => void): void {
  if (parentPort === null) {
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return;
  }
  parentPort.once('message', (m: StopRequest) => stop(m.stop));
}
