import { describe, expect, test } from 'vitest';
import { checkWatchStreams, type CommittedRevision, type ObservedBatch, type WatchCheckEvent, type WatchStream } from '../../src/testing/watch-check.js';

const put = (rev: number, key: string, value: string, createRevision = rev, version = 1): WatchCheckEvent => ({ type: 'PUT', key, value, modRevision: rev, createRevision, version });
const del = (rev: number, key: string): WatchCheckEvent => ({ type: 'DELETE', key, value: '', modRevision: rev, createRevision: 0, version: 0 });

// Revisions 2..5; revision 3 is a txn of two events.
const history: CommittedRevision[] = [
  { revision: 2, events: [put(2, 'a', '1')] },
  { revision: 3, events: [put(3, 'b', '1'), put(3, 'a', '2', 2, 2)] },
  { revision: 4, events: [del(4, 'a')] },
  { revision: 5, events: [put(5, 'b', '2', 3, 2)] },
];
const batch = (revision: number, events: WatchCheckEvent[], more: Partial<ObservedBatch> = {}): ObservedBatch => ({ revision, events, progressNotify: false, canceled: false, fragment: false, ...more });
const progress = (revision: number): ObservedBatch => batch(revision, [], { progressNotify: true });
const good = (): ObservedBatch[] => history.map((r) => batch(r.revision, r.events));
const stream = (segments: WatchStream['segments']): WatchStream => ({ name: 's', spec: { key: 'a', rangeEnd: 'z' }, segments });
const guarantees = (s: WatchStream): string[] => checkWatchStreams(history, [s], 5).map((v) => v.guarantee);

describe('checkWatchStreams', () => {
  test('a complete stream, a resumed one and a bookmarked one pass', () => {
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: good() }]))).toEqual([]);
    const [b2, b3, b4, b5] = good() as [ObservedBatch, ObservedBatch, ObservedBatch, ObservedBatch];
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: [b2, b3] }, { member: 2, startRevision: 4, batches: [b4, b5] }]))).toEqual([]);
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: [b2, b3, b4, progress(4)] }, { member: 3, startRevision: 5, batches: [b5, progress(5)] }]))).toEqual([]);
    // A filtered stream: only b's events.
    const only: WatchStream = { name: 'b', spec: { key: 'b', rangeEnd: '' }, segments: [{ member: 1, startRevision: 1, batches: [batch(3, [history[1]!.events[0]!]), batch(5, history[3]!.events), progress(5)] }] };
    expect(checkWatchStreams(history, [only], 5)).toEqual([]);
    // A catch-up batch holding several whole revisions, stamped with a later revision.
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: [batch(5, history.slice(0, 3).flatMap((r) => r.events)), good()[3]!] }]))).toEqual([]);
  });

  test.each([
    ['ordered', () => [batch(2, history[0]!.events), batch(3, [...history[1]!.events].reverse()), batch(4, history[2]!.events), batch(5, history[3]!.events)]],
    ['unique', () => [...good().slice(0, 2), batch(3, history[1]!.events), ...good().slice(2)]],
    ['reliable', () => [good()[0]!, good()[2]!, good()[3]!]],
    ['atomic', () => [good()[0]!, batch(3, [history[1]!.events[0]!]), batch(3, [history[1]!.events[1]!]), ...good().slice(2)]],
    ['atomic', () => [good()[0]!, batch(4, [history[1]!.events[0]!, ...history[2]!.events]), good()[3]!]],
    ['bookmarkable', () => [good()[0]!, progress(3), ...good().slice(1)]],
    ['history', () => [good()[0]!, good()[1]!, good()[2]!, batch(5, [put(5, 'b', 'wrong', 3, 2)])]],
    ['caught-up', () => good().slice(0, 3)],
  ])('finds a broken %s guarantee', (want, batches) => {
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: batches() }]))).toContain(want);
  });

  test('finds a resume that does not start right after the last revision seen', () => {
    const [b2, b3, , b5] = good() as [ObservedBatch, ObservedBatch, ObservedBatch, ObservedBatch];
    expect(guarantees(stream([{ member: 1, startRevision: 1, batches: [b2, b3] }, { member: 2, startRevision: 5, batches: [b5] }]))).toContain('resumable');
  });

  test('checks prevKv against the committed history', () => {
    const spec = { key: 'a', rangeEnd: 'z', prevKv: true };
    const withPrev = (e: WatchCheckEvent, prevValue: string | null): WatchCheckEvent => ({ ...e, prevValue });
    const [e2, [e3b, e3a], e4, e5] = [history[0]!.events[0]!, history[1]!.events, history[2]!.events[0]!, history[3]!.events[0]!] as const;
    const ok = [batch(2, [withPrev(e2, null)]), batch(3, [withPrev(e3b!, null), withPrev(e3a!, '1')]), batch(4, [withPrev(e4, '2')]), batch(5, [withPrev(e5, '1')])];
    expect(checkWatchStreams(history, [{ name: 'p', spec, segments: [{ member: 1, startRevision: 1, batches: ok }] }], 5)).toEqual([]);
    ok[2] = batch(4, [withPrev(e4, '1')]);
    expect(checkWatchStreams(history, [{ name: 'p', spec, segments: [{ member: 1, startRevision: 1, batches: ok }] }], 5).map((v) => v.guarantee)).toEqual(['history']);
  });
});
