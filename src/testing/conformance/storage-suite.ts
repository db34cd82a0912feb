import assert from 'node:assert/strict';
import { EntryType, emptyConfState, type ConfState, type Entry, type Snapshot } from '../../raft/entry.js';
import type { Storage, StorageCapabilities } from '../../storage/storage.js';
import { registerLifecycleTests } from './storage-suite-lifecycle.js';
import { registerLogTests } from './storage-suite-log.js';

/**
 * A test registration function, as `test` from vitest, `node:test` or mocha: the suite never
 * imports a runner. It may return anything; the suite ignores it.
 */
export type ConformanceTest = (name: string, fn: () => Promise<void>) => unknown;

/** The options of {@link runStorageConformance}. */
export interface StorageConformanceOptions<S extends Storage = Storage> {
  /** Registers one test. */
  test: ConformanceTest;
  /** Returns a fresh, empty storage (open or not; the suite opens it). Called once per test. */
  factory: () => S | Promise<S>;
  /**
   * Closes `storage` cleanly and returns a storage over the same data, open or not. Without
   * it, the reopen tests are skipped.
   */
  reopen?: ((storage: S) => S | Promise<S>) | undefined;
  /**
   * Abandons `storage` as a crash would (no `close()`, nothing flushed) and returns a storage
   * over the same data. Without it, the crash tests are skipped.
   */
  crash?: ((storage: S) => S | Promise<S>) | undefined;
  /** Releases a storage after its test (default: `close()`). */
  teardown?: ((storage: S) => void | Promise<void>) | undefined;
  /** A prefix for the test names, such as the adapter's name. */
  name?: string | undefined;
}

/**
 * The context one conformance test runs in: the storage under test and the hooks to restart it.
 *
 * @internal
 */
export interface SuiteContext {
  /** The storage under test (replaced by `reopen`/`crash`). */
  storage: Storage;
  /** Closes and reopens `storage`; undefined when the adapter has no reopen hook. */
  reopen: (() => Promise<Storage>) | undefined;
  /** Crashes and reopens `storage`; undefined when the adapter has no crash hook. */
  crash: (() => Promise<Storage>) | undefined;
}

/**
 * Registers a test that runs with a fresh storage.
 *
 * @internal
 */
export type SuiteTest = (name: string, fn: (ctx: SuiteContext) => Promise<void> | void) => void;

/** What a storage supports, with every flag false when it declares nothing. */
export function capabilitiesOf(storage: Storage): StorageCapabilities {
  return {
    persistent: storage.capabilities?.persistent ?? false,
    checksums: storage.capabilities?.checksums ?? false,
    snapshotStreams: storage.capabilities?.snapshotStreams ?? false,
    checkedCalls: storage.capabilities?.checkedCalls ?? false,
  };
}

/**
 * Registers the storage conformance suite: every adapter of the `Storage` contract (the
 * core's `MemoryStorage`, `LevelStorage`, yours) must pass it. Groups an adapter cannot do are
 * skipped by what it declares in `storage.capabilities`, and the restart groups by the hooks
 * given. Assertions use `node:assert`, so any runner works:
 *
 * ```ts
 * import { test } from 'vitest';
 * runStorageConformance({ test, factory: () => new MemoryStorage() });
 * ```
 */
export async function runStorageConformance<S extends Storage>(options: StorageConformanceOptions<S>): Promise<void> {
  const prefix = options.name === undefined ? 'storage' : options.name;
  const probe = await options.factory();
  const caps = capabilitiesOf(probe);
  await (options.teardown ?? ((s: S) => s.close()))(probe);

  const register: SuiteTest = (name, fn) => {
    options.test(`${prefix}: ${name}`, async () => {
      let current = await options.factory();
      await current.open();
      const ctx: SuiteContext = {
        get storage() {
          return current;
        },
        reopen: options.reopen === undefined ? undefined : async () => restart(options.reopen!),
        crash: options.crash === undefined ? undefined : async () => restart(options.crash!),
      };
      async function restart(hook: (s: S) => S | Promise<S>): Promise<Storage> {
        current = await hook(current);
        await current.open();
        return current;
      }
      try {
        await fn(ctx);
      } finally {
        await (options.teardown ?? ((s: S) => s.close()))(current);
      }
    });
  };
  registerLogTests(register, caps);
  registerLifecycleTests(register, caps, { reopen: options.reopen !== undefined, crash: options.crash !== undefined });
}

// ---- helpers shared by the suite's files ----

/**
 * Deterministic payload bytes for entry (index, term).
 *
 * @internal
 */
export function payload(index: number, term: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let k = 0; k < size; k++) out[k] = (index * 31 + term * 7 + k) & 0xff;
  return out;
}

/**
 * An entry with an 8-byte deterministic payload (so `entrySize` is 24).
 *
 * @internal
 */
export function ent(index: number, term: number, size = 8): Entry {
  return { index, term, type: EntryType.EntryNormal, data: payload(index, term, size) };
}

/**
 * A comparable summary of entries: `index/term/type/hex`.
 *
 * @internal
 */
export function show(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}/${e.term}/${e.type}/${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex')}`);
}

/**
 * A configuration with the given voters.
 *
 * @internal
 */
export function conf(...voters: number[]): ConfState {
  return { ...emptyConfState(), voters };
}

/**
 * A snapshot at (index, term) with the given data.
 *
 * @internal
 */
export function snap(index: number, term: number, data: Uint8Array = payload(index, term, 16), cs = conf(1, 2, 3)): Snapshot {
  return { data, metadata: { index, term, confState: cs } };
}

/**
 * An assertion matcher for an error with the given stable code.
 *
 * @internal
 */
export function code(c: string): (err: unknown) => boolean {
  return (err) => {
    assert.equal((err as { code?: unknown } | null)?.code, c, `expected an error with code ${c}, got ${String(err)}`);
    return true;
  };
}

/**
 * Builds the log etcd's storage tests start from: a snapshot at (3, 3), then entries 4 and 5
 * (terms 4 and 5), and more when `upTo` is larger.
 *
 * @internal
 */
export async function seed(s: Storage, upTo = 5): Promise<void> {
  await s.applySnapshot(snap(3, 3));
  const entries: Entry[] = [];
  for (let i = 4; i <= upTo; i++) entries.push(ent(i, i));
  await s.save({ entries, sync: true });
}
