/**
 * The `raftkit` command runs its member on a worker thread, so that the member's heap can be
 * sized before it exists: V8 fixes an isolate's young generation when the isolate is created,
 * and a process's own main isolate is created before any of its code runs. The main thread sets
 * the member's V8 options (its heap's and its tier-up budget), starts the member's thread,
 * forwards SIGTERM and SIGINT to it and exits with its exit code. One process, as before: the
 * same pid, stdio and exit codes.
 */
import v8 from 'node:v8';
import { Worker, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RaftkitError } from '../../errors.js';
import { tsxLoaderFor } from '../../source-loader.js';

/**
 * The semi-space size, MiB, of the member's young generation (V8's default grows from 1 MiB to at
 * most 16 MiB). A put with 64 in flight allocates about 15 KB on each member; a scavenge costs
 * what survives it (it copies it), not what died. At 32 MiB a member scavenges about once per
 * 1,600 puts. Measured when about 2.2 KB per put survived (before the young-table fix, see
 * src/churn-map.ts): at 16 MiB it scavenged twice as often, each pause about half as long, with
 * about the same total pause and no lower p99 in the etcd bench's write rows (three alternated
 * pairs, `BENCH_NODE_ARGS='--max-semi-space-size=16 --min-semi-space-size=16'`); at 8 MiB the
 * total pause was 1.5 to 1.9 times longer.
 */
export const MEMBER_SEMI_SPACE_MIB = 32;

/**
 * How much the member's old generation may grow, in percent of what a full collection left, before
 * the next one (V8's `--heap-growing-percent`; Go's `GOGC`, 100 by default in etcd, means the
 * same). V8's own choice depends on how fast it collects against how fast the member promotes:
 * under load a member promotes little, so V8 let the old generation grow by only 10-30% and ran a
 * full collection every 2-3 s, each a 7-30 ms pause for every call in flight; about half of the
 * puts slower than the p99 at 64 in flight overlapped one. At 300 (a full collection once the old
 * generation is four times what the last one left: about 100 MB for a member holding 25 MB) a
 * member under puts at 64 in flight ran one every 25-30 s, each a 30-60 ms pause: fewer calls wait
 * for one (better for the p99), each waits longer (worse for the p99.9). Measured with
 * `npm run bench -- etcd`, four runs against three at V8's choice: puts at 64 in flight p99
 * 0.83-1.06 times etcd's against 1.17-1.27; linearizable ranges 0.83-0.89 against 0.91-1.02;
 * watch events 1.13-1.16 against 1.08-1.17 (the bench's last row, where the first full
 * collection with the larger heap lands); puts at 1 in flight 0.97-0.99 against 0.95-1.01. 100:
 * 1.12-1.15, 0.87-0.92, 1.04 and 0.93-0.94 (two runs). Measured 2026-12-07 with `--trace-gc-nvp`
 * (puts at 64 in flight): a third to nearly half of such a pause (`clear.external_string_table`,
 * 12-36 ms of 42-80) is V8 finalizing the external strings Node's HTTP/2 server makes of every
 * request's header names and values (nine per gRPC call), allocated in the old generation, so
 * that only a full collection frees them, however often it runs.
 */
export const MEMBER_HEAP_GROWING_PERCENT = 300;

/**
 * How much bytecode a function of the member runs before V8 considers optimizing it (V8's
 * `--interrupt-budget`, bytes; its default is 66 KiB). A put calls most of the member's functions
 * once, so at V8's default a fresh member spends many thousands of requests reaching its speed.
 * Measured 2026-12-06 on a three-member cluster at one put in flight, in blocks of 2,500 puts,
 * three pairs of fresh clusters: at V8's default the members' CPU per put was 2.5-3.1 ms in the
 * first block and 1.7-2.0 in the second, and came down to about 1.1 only after 7,500-20,000 puts;
 * at 16 KiB it was 1.8-2.4 ms in the first block and about 1.0 from the second or third on, with
 * no change measurable once both were warm. A member restarted after a crash or an upgrade
 * reaches its speed several times sooner.
 */
export const MEMBER_INTERRUPT_BUDGET = 16 * 1024;

/** Node options that size the young generation themselves (the user's choice is kept). */
const SEMI_SPACE_OPTION = /(^|\s)--(max|min)[-_]semi[-_]space[-_]size\b/;
/** The Node option that sets the old generation's growth (the user's choice is kept). */
const HEAP_GROWING_OPTION = /(^|\s)--heap[-_]growing[-_]percent\b/;
/** The V8 option that sets the tier-up budget (the user's choice is kept; V8's other `--interrupt-budget-*` options are other things). */
const INTERRUPT_BUDGET_OPTION = /(^|\s)--interrupt[-_]budget(?![-_\w])/;

/**
 * The V8 options the member's thread is created with: a young generation of
 * {@link MEMBER_SEMI_SPACE_MIB} from the start, an old generation growing by
 * {@link MEMBER_HEAP_GROWING_PERCENT} and a tier-up budget of {@link MEMBER_INTERRUPT_BUDGET},
 * each unless node was started with its own (on its command line or in `NODE_OPTIONS`).
 */
export function memberV8Flags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = (option: RegExp): boolean => execArgv.some((a) => option.test(a)) || option.test(nodeOptions ?? '');
  const flags: string[] = [];
  if (!given(SEMI_SPACE_OPTION)) flags.push(`--max-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`, `--min-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`);
  if (!given(HEAP_GROWING_OPTION)) flags.push(`--heap-growing-percent=${String(MEMBER_HEAP_GROWING_PERCENT)}`);
  if (!given(INTERRUPT_BUDGET_OPTION)) flags.push(`--interrupt-budget=${String(MEMBER_INTERRUPT_BUDGET)}`);
  return flags;
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
 * setting {@link memberV8Flags}, and hands it `endpoints` (see {@link endpointsPort}).
 * Resolves with the thread's exit code; an error the thread did not catch is written with
 * `writeError` and makes the code 1.
 */
export function runMemberThread(entry: URL, argv: readonly string[], endpoints: MessagePort, writeError: (text: string) => void): Promise<number> {
  for (const flag of memberV8Flags(process.execArgv, process.env['NODE_OPTIONS'])) v8.setFlagsFromString(flag);
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
