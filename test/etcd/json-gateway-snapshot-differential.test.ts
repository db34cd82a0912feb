import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { differentialProcessPair } from './differential-pair.js';
import { gatewayPost } from './helpers.js';

// Maintenance.Snapshot through etcd's JSON gateway (`POST /v3/maintenance/snapshot`): a real etcd
// 3.4 and a `raftkit` process (whose member serves snapshots) answer with lines of the same shape.
// The files differ (each has its own backend), so the test compares what every client checks:
// the fields of each line, the bytes remaining after each blob, and the SHA-256 of the file in the
// last line.

const pair = differentialProcessPair('gw-snapshot');

test('Snapshot through the gateway: lines of blobs with the bytes remaining, no header, and a last line with the SHA-256 of the file, as etcd', async () => {
  const answers = await Promise.all([pair.etcd.url, pair.raftkitUrl].map(async (url) => {
    // 160 KiB of values: both files take several 32 KiB lines.
    for (let i = 0; i < 4; i++) await (await gatewayPost(url, '/v3/kv/put', JSON.stringify({ key: Buffer.from(`snap/${String(i)}`).toString('base64'), value: Buffer.alloc(40 * 1024, i).toString('base64') }))).ended;
    const s = await gatewayPost(url, '/v3/maintenance/snapshot', '{}');
    await s.ended;
    return s;
  }));
  const views = answers.map((s) => {
    const lines = s.body.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { result: { blob?: string; remaining_bytes?: string } }).result);
    const blobs = lines.map((l) => Buffer.from(l.blob ?? '', 'base64'));
    const file = Buffer.concat(blobs.slice(0, -1));
    // Each line's remaining bytes: what the file holds after it (left out when 0).
    let left = file.length;
    const remaining = blobs.slice(0, -1).map((blob, i) => ((left -= blob.length), (lines[i]!.remaining_bytes ?? '0') === String(left)));
    return {
      status: s.status,
      contentType: s.contentType,
      fields: [...new Set(lines.map((l) => Object.keys(l).sort().join(',')))].sort(),
      remainingRight: remaining.every(Boolean),
      checksumRight: createHash('sha256').update(file).digest().equals(blobs[blobs.length - 1]!),
    };
  });
  expect(views[1]).toEqual(views[0]);
  expect(views[0]).toMatchObject({ status: 200, remainingRight: true, checksumRight: true, fields: ['blob', 'blob,remaining_bytes'] });
});
