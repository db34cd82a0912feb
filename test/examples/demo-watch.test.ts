import { afterAll, expect, test } from 'vitest';
import { DemoCluster } from '../../examples/kv-cluster/demo-cluster.js';
import { until } from '../../examples/kv-cluster/driver.js';

// The demo's KV watch when its member is killed: it opens again on another member from the
// revision after the last event it received, so it still sees every acknowledged write exactly
// once, in revision order (writes made while no member served it come from history).
let cluster: DemoCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

test('the watch moves to another member when its member is killed, missing and repeating nothing', async () => {
  const c = (cluster = await DemoCluster.create());
  await Promise.all(c.ids.map((id) => c.start(id)));
  const leader = await until(() => c.leader(), 20_000, 'a leader');
  const watched = c.ids.find((id) => id !== leader)!;
  const writer = c.ids.find((id) => id !== leader && id !== watched)!;
  const watch = await c.openWatch('key-', watched);
  const put = async (i: number): Promise<void> => {
    expect(await c.put(i % 2 === 0 ? leader : writer, `key-${i}`, `value-${i}`)).toBe(true);
  };
  for (let i = 0; i < 50; i++) await put(i);
  await until(() => (watch.events.length === 50 ? true : undefined), 10_000, 'the first 50 events');
  await c.kill(watched);
  for (let i = 50; i < 100; i++) await put(i);
  await until(() => (watch.member !== undefined && watch.member !== watched ? true : undefined), 10_000, 'the watch to move');
  for (let i = 100; i < 150; i++) await put(i);
  const last = Math.max(...[...c.acked.values()].map((w) => w.revision));
  await until(() => (watch.lastRevision >= last ? true : undefined), 10_000, 'every event');
  expect(watch.check(c.acked)).toEqual([]);
  expect(watch.events).toHaveLength(150);
  expect(c.timeline.some((l) => l.includes(`the watch's member ${watched} went away: opened it again on member`))).toBe(true);
}, 90_000);
