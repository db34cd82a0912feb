import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { collectGarbage } from '../helpers/gc.js';
import { observeGc } from '../../src/etcd/gc-metrics.js';

/** Waits (bounded) until `registry` has seen a major collection. */
async function untilMajor(registry: Registry): Promise<void> {
  // perf_hooks delivers gc entries after the collection, in a later task.
  const deadline = performance.now() + 5000;
  while ((await count(registry, 'major')) === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** The summed `_count` of `nodejs_gc_duration_seconds` for `kind`. */
async function count(registry: Registry, kind: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'nodejs_gc_duration_seconds');
  return m?.values.find((v) => (v as { metricName?: string }).metricName === 'nodejs_gc_duration_seconds_count' && v.labels['kind'] === kind)?.value ?? 0;
}

test('each garbage collection is timed by kind, with prom-client\'s name and buckets, until observing stops', async () => {
  const registry = new Registry();
  const stop = observeGc(registry);
  try {
    collectGarbage();
    await untilMajor(registry);
    expect(await count(registry, 'major')).toBeGreaterThanOrEqual(1);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{le="0\.001",kind="major"\} \d+$/m);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{le="5",kind="major"\} \d+$/m);
  } finally {
    stop();
  }
  const seen = await count(registry, 'major');
  // Another observer sees the next collection; the stopped one does not.
  const other = new Registry();
  const stopOther = observeGc(other);
  collectGarbage();
  await untilMajor(other);
  stopOther();
  expect(await count(other, 'major')).toBeGreaterThanOrEqual(1);
  expect(await count(registry, 'major')).toBe(seen);
});
