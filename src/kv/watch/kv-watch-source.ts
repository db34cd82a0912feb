import type { KvStateMachine } from '../kv-state-machine.js';
import { keyRange } from '../mvcc/bytes.js';
import type { KeyValue, ResponseHeader } from '../types.js';
import type { WatchSource } from './types.js';

/** The {@link WatchSource} of a member's {@link KvStateMachine}; `header` fills response headers. */
export function kvWatchSource(sm: KvStateMachine, header: (revision: number) => ResponseHeader): WatchSource {
  return {
    revision: () => sm.store.visibleRev,
    compactRevision: () => sm.store.compactRev,
    onRevision: (fn) => sm.onRevision(fn),
    onRestore: (fn) => sm.onRestore(fn),
    readEvents: (key, rangeEnd, from, to) => sm.readEvents(key, rangeEnd, from, to),
    readAt: async (key, rev): Promise<KeyValue | undefined> => {
      const r = await sm.store.readView().rangeKeys(keyRange(key, new Uint8Array(0)), { limit: 1, rev, count: false });
      return r.kvs[0];
    },
    header,
  };
}
