import { RaftkitError } from '../errors.js';
import type { Snapshot } from '../raft/entry.js';
import type { LogStorage } from '../raft/log-storage.js';
import type { Message } from '../raft/messages.js';
import { decodeSnapshotRef, supportsSnapshotStaging } from '../storage/snapshot-ref.js';
import type { SnapshotStreams, Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import { decodeSnapshotPayload, decodeSnapshotPayloadStream, encodeSnapshotPayloadHeader, isPayloadByReference, joinChunks, payloadHeaderState, type SnapshotState, type StreamedSnapshotPayload } from './snapshot-payload.js';
import type { StateMachine } from './state-machine.js';
import { InvalidArgumentError } from './errors.js';

/**
 * Where a replica's snapshot data is resolved between references and bytes (see
 * `storage/snapshot-ref.ts`): the core's view of the storage, sending, receiving and opening
 * snapshots. A snapshot whose data is a reference has its bytes only in the storage's chunks;
 * each function here reads them chunk by chunk, or joins them where the other side needs one
 * buffer (a transport or state machine that does not stream).
 * @module
 */

/**
 * The storage as the Raft core sees it: with `streamed` (and a storage that stages snapshots),
 * `snapshot()` returns the current snapshot with a reference as data, so that the leader's
 * `MsgSnap` never carries the whole state; otherwise the storage itself.
 */
export function coreStorage(storage: Storage, streamed: boolean): LogStorage {
  if (!streamed || !supportsSnapshotStaging(storage)) return storage;
  return {
    initialState: () => storage.initialState(),
    entries: (lo, hi, maxSize) => storage.entries(lo, hi, maxSize),
    term: (i) => storage.term(i),
    firstIndex: () => storage.firstIndex(),
    lastIndex: () => storage.lastIndex(),
    snapshot: () => storage.snapshotRef(),
  };
}

/** The metadata of the storage's current snapshot, without loading its data where the storage can avoid it. */
export function currentSnapshot(storage: Storage): Snapshot {
  return supportsSnapshotStaging(storage) ? storage.snapshotRef() : storage.snapshot();
}

/** The stored snapshot's data in chunks, when `snap`'s data is a reference to it. */
function referencedChunks(storage: Storage, snap: Snapshot): AsyncIterable<Uint8Array> | undefined {
  const ref = decodeSnapshotRef(snap.data);
  if (ref === undefined) return undefined;
  const streams = storage as Partial<SnapshotStreams>;
  if (typeof streams.readSnapshotChunks !== 'function') throw new TypeError(`the snapshot at ${ref.index} is a reference, but the storage cannot stream snapshots`);
  return streams.readSnapshotChunks(ref.index);
}

/**
 * Captures the state machine's snapshot between applies, for a snapshot by reference that is
 * sent (see {@link sendReferencedSnapshot}): its chunks, and the index and term of the last
 * entry whose effects they hold.
 */
export type MaterializeSnapshot = () => Promise<{ state: SnapshotState; chunks: AsyncIterable<Uint8Array> }>;

/**
 * How a replica materializes a snapshot by reference it sends: on the apply queue (`queue`), the
 * state machine's `captureSnapshot()` at the index of the last entry its state holds; undefined
 * for a state machine that cannot capture.
 */
export function materializer(sm: StateMachine, storage: Storage, queue: { between<T>(fn: () => Promise<T>): Promise<T>; readonly stateIndex: number }): MaterializeSnapshot | undefined {
  if (sm.captureSnapshot === undefined) return undefined;
  const capture = sm.captureSnapshot.bind(sm);
  return () =>
    queue.between(async () => {
      const index = queue.stateIndex;
      return { state: { index, term: storage.term(index) }, chunks: await capture() };
    });
}

/**
 * Sends a `MsgSnap` whose data is a reference to the stored snapshot, or a payload by
 * reference: streamed when the transport can, otherwise with the data read back into one
 * buffer. A payload by reference is materialized on the way (see {@link materializedChunks}).
 * `failed` is called when the data cannot be read.
 */
export function sendReferencedSnapshot(m: Message, storage: Storage, transport: Transport, failed: (err: unknown) => void, materialize?: MaterializeSnapshot): void {
  const snap = m.snapshot!;
  const stored = referencedChunks(storage, snap) ?? toAsync([snap.data]);
  const chunks = materialize === undefined && !isPayloadByReference(snap.data) ? stored : materializedChunks(stored, materialize);
  if (transport.sendSnapshotStream !== undefined) {
    transport.sendSnapshotStream(m, chunks);
    return;
  }
  joinChunks(chunks).then(
    (data) => {
      if (transport.status === 'open') transport.send([{ ...m, snapshot: { metadata: m.snapshot!.metadata, data } }]);
    },
    failed,
  );
}

/**
 * The payload to send for a stored one (only its first byte is read to tell): a payload by
 * reference is sent with the same address book and session table (those of the snapshot's
 * index) and the state machine's bytes captured now (`materialize`), marked with the index and
 * term they were captured at (see `SnapshotPayload.state`); any other payload as stored.
 *
 * @yields {Uint8Array} the payload's chunks.
 */
async function* materializedChunks(stored: AsyncIterable<Uint8Array>, materialize: MaterializeSnapshot | undefined): AsyncGenerator<Uint8Array> {
  const it = stored[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) return;
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  if (!isPayloadByReference(first.value)) {
    yield first.value;
    yield* rest;
    return;
  }
  const { byReference: _, ...header } = await decodeSnapshotPayloadStream(prepend(first.value, rest));
  if (materialize === undefined) throw new TypeError('the snapshot is by reference, but the state machine cannot capture its state (captureSnapshot)');
  const { state, chunks } = await materialize();
  yield encodeSnapshotPayloadHeader({ ...header, state });
  yield* chunks;
}

/**
 * `head`, then `rest`.
 *
 * @yields {Uint8Array} the chunks.
 */
async function* prepend(head: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head;
  yield* rest;
}

/** Whether a message is a `MsgSnap` whose data is a reference or a payload by reference (it must come with its body). */
export function isReferencedSnapshot(m: Message): boolean {
  return m.snapshot !== undefined && (decodeSnapshotRef(m.snapshot.data) !== undefined || isPayloadByReference(m.snapshot.data));
}

/**
 * Restores the state machine from a snapshot's state bytes, with `restoreChunks` when it has
 * one, at `at`: the index and term the state was captured at.
 */
export async function restoreStateMachine(sm: StateMachine, at: { index: number; term: number }, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const { index, term } = at;
  if (sm.restoreChunks !== undefined) await sm.restoreChunks({ index, term, chunks });
  else await sm.restore({ index, term, data: await joinChunks(chunks) });
}

/**
 * Stores the body of a streamed snapshot as it arrives and returns the message to step: with a
 * storage that stages snapshots, its data is the staged snapshot's reference; otherwise the
 * joined bytes. Throws `InvalidArgumentError` when its first bytes are a payload by reference or
 * carry a state older than the snapshot's index.
 */
export async function receiveSnapshotBody(m: Message, body: AsyncIterable<Uint8Array>, storage: Storage): Promise<Message> {
  const snap = m.snapshot;
  if (snap === undefined) throw new TypeError('a streamed snapshot message carries no snapshot');
  const checked = checkReceivedPayload(body, snap.metadata.index);
  const data = supportsSnapshotStaging(storage) ? await storage.stageSnapshot(snap.metadata, checked) : await joinChunks(checked);
  return { ...m, snapshot: { metadata: snap.metadata, data } };
}

/**
 * `body`, throwing `InvalidArgumentError` once its first bytes show a payload that cannot be
 * restored at `index`: a payload by reference (it carries no state, and only the member that
 * took it stores it: never sent), or a state older than the snapshot's index (the entries in
 * between would never reach the state machine). Other bytes pass unchanged.
 *
 * @yields {Uint8Array} the chunks of `body`.
 */
async function* checkReceivedPayload(body: AsyncIterable<Uint8Array>, index: number): AsyncGenerator<Uint8Array> {
  let head: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of body) {
    if (head !== undefined) {
      head = head.length === 0 ? chunk : concat(head, chunk);
      const h = payloadHeaderState(head);
      if (h === 'short') continue;
      if (h !== 'foreign' && h.byReference !== undefined) throw new InvalidArgumentError('a snapshot by reference carries no state: refused');
      if (h !== 'foreign' && h.state !== undefined && h.state.index < index) {
        throw new InvalidArgumentError(`a snapshot at index ${index} carries a state at index ${h.state.index}, older than itself: refused`);
      }
      const checked = head;
      head = undefined;
      yield checked;
      continue;
    }
    yield chunk;
  }
  if (head !== undefined && head.length > 0) yield head;
}

/** `a` then `b`, in a new buffer. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The error code a peer message is refused with at the door, or `undefined` to step it: a
 * `MsgSnap` whose data is a reference or a payload by reference is only valid with its body
 * (`snapshot-stream`), and one whose state is older than its index cannot be restored (see
 * {@link receiveSnapshotBody}).
 */
export function refusedSnapshot(m: Message): string | undefined {
  if (m.snapshot === undefined) return undefined;
  if (isReferencedSnapshot(m)) return 'ERR_SNAPSHOT_REF';
  const h = payloadHeaderState(m.snapshot.data);
  return typeof h !== 'string' && h.state !== undefined && h.state.index < m.snapshot.metadata.index ? 'ERR_INVALID_ARGUMENT' : undefined;
}

/**
 * Handles a transport's `snapshot-stream` event: stores the body, acknowledges it (`settle`)
 * and steps the message (data: a reference to the staged snapshot) while the replica is open;
 * refuses it (counting the error code) when storing fails.
 */
export function receiveSnapshotStream(
  m: Message,
  body: AsyncIterable<Uint8Array>,
  settle: (accepted: boolean) => void,
  r: { storage: Storage; isOpen(): boolean; step(m: Message): void; refused(code: string): void },
): void {
  receiveSnapshotBody(m, body, r.storage).then(
    (stored) => {
      const open = r.isOpen();
      settle(open);
      if (open) r.step(stored);
    },
    (err: unknown) => {
      settle(false);
      r.refused(err instanceof RaftkitError ? err.code : 'ERR_UNKNOWN');
    },
  );
}

/**
 * Opens a snapshot's payload for restoring: its data is read from the storage chunk by chunk
 * when it is a reference, and wrapped as one chunk otherwise.
 */
export async function openSnapshotPayload(snap: Snapshot, storage: Storage): Promise<StreamedSnapshotPayload> {
  const chunks = referencedChunks(storage, snap);
  if (chunks !== undefined) return decodeSnapshotPayloadStream(chunks);
  const { data, ...rest } = decodeSnapshotPayload(snap.data);
  return { ...rest, chunks: toAsync(data.length > 0 ? [data] : []) };
}

/** An async iterable over `items`. */
function toAsync(items: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: (): Promise<IteratorResult<Uint8Array, undefined>> =>
          Promise.resolve(i < items.length ? { value: items[i++]!, done: false } : { value: undefined, done: true }),
      };
    },
  };
}
