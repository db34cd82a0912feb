import type { AbstractIteratorOptions } from 'abstract-level';
import type { BytesSublevel } from '../storage/level-load.js';
import { KV_SNAPSHOT_GROUP, type RecordBatches } from './snapshot-format.js';

/** Iterator options of a view (an explicit database snapshot, or none: read live). */
export type ViewOptions = AbstractIteratorOptions<Uint8Array, Uint8Array>;

/** A read view of a `KvBackend`'s records (see `KvBackend.readView`). */
export interface BackendView {
  /** The compaction revision recorded. */
  compaction(): Promise<number | undefined>;
  /** Every revision record, in revision order. */
  revisions(): RecordBatches;
  /** Every lease record. */
  leases(): RecordBatches;
  /** Every alarm record. */
  alarms(): RecordBatches;
  /** Every member attributes record. */
  members(): RecordBatches;
  /** Releases the view. */
  close(): Promise<void>;
}

/** The record sublevels a view reads. */
export interface ViewSublevels {
  /** The revision records. */
  readonly revs: BytesSublevel;
  /** The lease records. */
  readonly leases: BytesSublevel;
  /** The alarm records. */
  readonly alarms: BytesSublevel;
  /** The member attributes records. */
  readonly members: BytesSublevel;
}

/** Records a view reads per call: one KV snapshot frame's worth. */
const VIEW_BATCH = KV_SNAPSHOT_GROUP;
/**
 * Bytes above which classic-level ends one native read of a view's iterator (its default,
 * 16 KiB, is about 50 records of 300 bytes: ten native round trips per batch); it also bounds
 * a batch of large values. Other databases ignore the option.
 */
const VIEW_BATCH_BYTES = 1 << 20;

/**
 * Reads `sublevel` in batches of up to {@link VIEW_BATCH} records: one `nextv` call per batch,
 * no promise per record.
 *
 * @yields {readonly (readonly [Uint8Array, Uint8Array])[]} each batch, in key order.
 */
async function* recordBatches(sublevel: BytesSublevel, options: ViewOptions): RecordBatches {
  const withLimit: ViewOptions & { highWaterMarkBytes: number } = { ...options, highWaterMarkBytes: VIEW_BATCH_BYTES };
  const it = sublevel.iterator(withLimit);
  try {
    for (let batch = await it.nextv(VIEW_BATCH); batch.length > 0; batch = await it.nextv(VIEW_BATCH)) yield batch;
  } finally {
    await it.close();
  }
}

/**
 * A view reading `parts` with `options`, a batch of records at a time.
 *
 * @param parts - the record sublevels.
 * @param compaction - reads the compaction revision in the view.
 * @param options - the view's iterator options (its database snapshot, if any).
 * @param close - releases the view.
 */
export function recordView(parts: ViewSublevels, compaction: () => Promise<number | undefined>, options: ViewOptions, close: () => Promise<void>): BackendView {
  return {
    compaction,
    revisions: () => recordBatches(parts.revs, options),
    leases: () => recordBatches(parts.leases, options),
    alarms: () => recordBatches(parts.alarms, options),
    members: () => recordBatches(parts.members, options),
    close,
  };
}
