/**
 * Codec benchmark: encode + decode of a MsgApp carrying 64 entries of 100 bytes.
 *
 * Three variants run on the same message:
 * - `msgpackr` — plain `pack`/`unpack` of the message object (keyed maps, no validation,
 *   byte fields returned as views): the baseline.
 * - `raftkit` — our `encodeMessage`/`decodeMessage` (format version 2: the envelope and a
 *   fixed-width binary body, full validation, byte fields copied out of the input).
 * - `records` — the alternative we measured and did not keep: msgpackr record structures
 *   shared by both ends, with the same validation and copies as ours.
 *
 * Prints medians over several runs, in messages/s and MB/s (of encoded bytes), and the ratio
 * of our time to the baseline's.
 *
 * A second table compares format version 2 (binary bodies) with version 1 (msgpack, what
 * earlier builds wrote; its encoders are the test fixture test/codec/v1-encoder.ts and the
 * msgpack command/record encoders) on what one put costs a member: the MsgApp carrying one
 * entry, its MsgAppResp, the put's KV command and its stored KV record (encode + decode each).
 * Run with `npx tsx bench/codec.bench.ts`. `BENCH_CODEC_RUNS` (default 9) and `BENCH_CODEC_RUN_MS`
 * (default 200, the least time one timed run takes) shorten it, as the test of `--json` does.
 */
import { pathToFileURL } from 'node:url';
import { Packr, pack, unpack } from 'msgpackr';
import { decodeMessage, encodeMessage } from '../src/codec/message.js';
import { decodeCommand, encodeCommand, type KvCommand } from '../src/kv/commands.js';
import { decodeKv, encodeKv } from '../src/kv/record.js';
import type { KeyValue } from '../src/kv/types.js';
import { encodeCommandV1, encodeKvV1, encodeMessageV1 } from '../test/codec/v1-encoder.js';
import { readBool, readBytes, readEntryType, readOptionalBytes, readUint } from '../src/codec/validate.js';
import { EntryType, type Entry } from '../src/raft/entry.js';
import { createMessage, isMessageType, MessageType, type Message } from '../src/raft/messages.js';
import { SeededRng } from '../src/raft/rng.js';

const ENTRIES = 64;
const ENTRY_BYTES = 100;
const RUNS = Number(process.env['BENCH_CODEC_RUNS'] ?? 9);
const MIN_RUN_MS = Number(process.env['BENCH_CODEC_RUN_MS'] ?? 200);

function sampleMessage(): Message {
  const rng = new SeededRng(7);
  const entries: Entry[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const data = new Uint8Array(ENTRY_BYTES);
    for (let j = 0; j < ENTRY_BYTES; j++) data[j] = rng.nextInt(256);
    entries.push({ term: 7, index: 100_000 + i, type: EntryType.EntryNormal, data });
  }
  return createMessage({
    type: MessageType.MsgApp,
    to: 2,
    from: 1,
    term: 7,
    logTerm: 7,
    index: 99_999,
    entries,
    commit: 99_990,
  });
}

// --- The record-structure variant (measured, not shipped). ---
const MESSAGE_KEYS = ['type', 'to', 'from', 'term', 'logTerm', 'index', 'entries', 'commit', 'snapshot', 'reject', 'rejectHint', 'context'];
const ENTRY_KEYS = ['term', 'index', 'type', 'data'];
const recordPackr = new Packr({ structures: [MESSAGE_KEYS, ENTRY_KEYS], moreTypes: false });
const recordUnpackr = new Packr({ structures: [MESSAGE_KEYS.slice(), ENTRY_KEYS.slice()], moreTypes: false });

function recordEncode(m: Message): Uint8Array {
  return recordPackr.pack(m);
}

function recordDecode(bytes: Uint8Array): Message {
  // The same single private copy that decodeMessage makes.
  const src = new Uint8Array(bytes.length);
  src.set(bytes);
  const o = recordUnpackr.unpack(src) as Record<string, unknown>;
  const type = o['type'];
  if (!isMessageType(type)) throw new Error('type');
  const raw = o['entries'];
  if (!Array.isArray(raw)) throw new Error('entries');
  const entries = new Array<Entry>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as Record<string, unknown>;
    entries[i] = {
      term: readUint(e['term'], 'Entry.term'),
      index: readUint(e['index'], 'Entry.index'),
      type: readEntryType(e['type'], 'Entry.type'),
      data: readBytes(e['data'], 'Entry.data'),
    };
  }
  return {
    type,
    to: readUint(o['to'], 'to'),
    from: readUint(o['from'], 'from'),
    term: readUint(o['term'], 'term'),
    logTerm: readUint(o['logTerm'], 'logTerm'),
    index: readUint(o['index'], 'index'),
    entries,
    commit: readUint(o['commit'], 'commit'),
    snapshot: undefined,
    reject: readBool(o['reject'], 'reject'),
    rejectHint: readUint(o['rejectHint'], 'rejectHint'),
    context: readOptionalBytes(o['context'], 'context'),
  };
}

interface Variant {
  name: string;
  roundTrip: (m: Message) => number;
}

const variants: Variant[] = [
  { name: 'msgpackr pack/unpack', roundTrip: (m) => { const b = pack(m); unpack(b); return b.length; } },
  { name: 'raftkit encode/decode', roundTrip: (m) => { const b = encodeMessage(m); decodeMessage(b); return b.length; } },
  { name: 'records variant', roundTrip: (m) => { const b = recordEncode(m); recordDecode(b); return b.length; } },
];

/** Runs `fn` for at least MIN_RUN_MS and returns nanoseconds per call. */
function timeOnce<T>(fn: (m: T) => number, msg: T): { nsPerOp: number; bytes: number } {
  let ops = 0;
  let bytes = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_RUN_MS) {
    for (let i = 0; i < 200; i++) bytes = fn(msg);
    ops += 200;
    now = performance.now();
  }
  return { nsPerOp: ((now - start) * 1e6) / ops, bytes };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about =
  'raftkit\'s wire codec against plain msgpackr encoding the same message (target: within 1.3× of msgpackr), and format version 2 (binary) against version 1 (msgpack) on one put\'s message, command and KV record';

// --- Format version 2 against version 1, on one put's records. ---
// As the etcd server's Put handler proposes it: key and value are views of the request's bytes.
const putCommand: KvCommand = { op: 'put', req: { key: new TextEncoder().encode('bench/key/000123'), value: new Uint8Array(256).fill(118), lease: 0n } };
const putRecord: KeyValue = { key: new TextEncoder().encode('bench/key/000123'), createRevision: 1_000_001, modRevision: 1_000_450, version: 17, lease: 0n, value: new Uint8Array(256).fill(118) };
const oneEntryApp = createMessage({
  type: MessageType.MsgApp, to: 2, from: 1, term: 7, logTerm: 7, index: 1_000_449, commit: 1_000_448,
  entries: [{ term: 7, index: 1_000_450, type: EntryType.EntryNormal, data: encodeCommand(putCommand) }],
});
const appResp = createMessage({ type: MessageType.MsgAppResp, to: 1, from: 2, term: 7, index: 1_000_450 });

interface VersionCase {
  name: string;
  v1: () => number;
  v2: () => number;
}

const versionCases: VersionCase[] = [
  { name: 'MsgApp, 1 entry', v1: () => { const b = encodeMessageV1(oneEntryApp); decodeMessage(b); return b.length; }, v2: () => { const b = encodeMessage(oneEntryApp); decodeMessage(b); return b.length; } },
  { name: 'MsgAppResp', v1: () => { const b = encodeMessageV1(appResp); decodeMessage(b); return b.length; }, v2: () => { const b = encodeMessage(appResp); decodeMessage(b); return b.length; } },
  { name: 'MsgApp, 64 entries', v1: () => { const b = encodeMessageV1(sample); decodeMessage(b); return b.length; }, v2: () => { const b = encodeMessage(sample); decodeMessage(b); return b.length; } },
  { name: 'KV put command', v1: () => { const b = encodeCommandV1(putCommand); decodeCommand(b); return b.length; }, v2: () => { const b = encodeCommand(putCommand); decodeCommand(b); return b.length; } },
  {
    name: 'stored KV record',
    v1: () => { const b = encodeKvV1(putRecord); decodeKv(b); return b.length; },
    v2: () => { const b = encodeKv(putRecord); decodeKv(b); return b.length; },
  },
];
const sample = sampleMessage();

async function runVersions(): Promise<Record<string, unknown>> {
  const samples = versionCases.map(() => ({ v1: [] as number[], v2: [] as number[], b1: 0, b2: 0 }));
  for (const c of versionCases) {
    timeOnce(c.v1, undefined);
    timeOnce(c.v2, undefined);
  }
  for (let r = 0; r < RUNS; r++) {
    versionCases.forEach((c, i) => {
      const s = samples[i]!;
      const t1 = timeOnce(c.v1, undefined);
      const t2 = timeOnce(c.v2, undefined);
      s.v1.push(t1.nsPerOp);
      s.v2.push(t2.nsPerOp);
      s.b1 = t1.bytes;
      s.b2 = t2.bytes;
    });
    await Promise.resolve();
  }
  console.log(`format version 2 (binary) vs version 1 (msgpack), encode+decode, median of ${RUNS} runs`);
  const figures: Record<string, unknown> = {};
  versionCases.forEach((c, i) => {
    const s = samples[i]!;
    const v1 = median(s.v1);
    const v2 = median(s.v2);
    figures[c.name] = { v1UsPerOp: v1 / 1000, v2UsPerOp: v2 / 1000, v1Bytes: s.b1, v2Bytes: s.b2, ratio: v2 / v1 };
    console.log(`  ${c.name.padEnd(20)} v1 ${(v1 / 1000).toFixed(2).padStart(6)} µs ${String(s.b1).padStart(5)} B   v2 ${(v2 / 1000).toFixed(2).padStart(6)} µs ${String(s.b2).padStart(5)} B   ratio v2/v1 ${(v2 / v1).toFixed(2)}`);
  });
  return figures;
}

/** Runs the benchmark, prints a table of medians and the overhead ratio, and returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const msg = sampleMessage();
  // Sanity: every variant round-trips the message.
  const back = decodeMessage(encodeMessage(msg));
  if (back.entries.length !== ENTRIES || back.entries[5]!.data[3] !== msg.entries[5]!.data[3]) throw new Error('round trip');
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const size = new Map<string, number>();
  for (const v of variants) timeOnce(v.roundTrip, msg); // warm-up
  for (let r = 0; r < RUNS; r++) {
    // Interleave the variants so drift (thermal, GC) hits them alike.
    for (const v of variants) {
      const t = timeOnce(v.roundTrip, msg);
      samples.get(v.name)!.push(t.nsPerOp);
      size.set(v.name, t.bytes);
    }
    await Promise.resolve();
  }
  console.log(`codec: MsgApp with ${ENTRIES} entries of ${ENTRY_BYTES} B, encode+decode, median of ${RUNS} runs`);
  const base = median(samples.get(variants[0]!.name)!);
  const figures: Record<string, unknown> = {};
  for (const v of variants) {
    const ns = median(samples.get(v.name)!);
    const bytes = size.get(v.name)!;
    const msgsPerSec = 1e9 / ns;
    const mbPerSec = (msgsPerSec * bytes) / 1e6;
    figures[v.name] = { usPerMsg: ns / 1000, msgsPerSec, mbPerSec, bytes, ratio: ns / base };
    console.log(
      `  ${v.name.padEnd(22)} ${(ns / 1000).toFixed(2).padStart(7)} µs/msg  ${Math.round(msgsPerSec).toString().padStart(8)} msg/s  ${mbPerSec.toFixed(1).padStart(7)} MB/s  ${bytes} B  ratio ${(ns / base).toFixed(2)}`,
    );
  }
  const ours = median(samples.get(variants[1]!.name)!);
  console.log(`  overhead ratio raftkit / msgpackr: ${(ours / base).toFixed(2)} (target < 1.3)`);
  const versions = await runVersions();
  return { variants: figures, overheadRatio: ours / base, target: '< 1.3', versions };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
