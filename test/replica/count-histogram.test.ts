import { Histogram, Registry, exponentialBuckets } from 'prom-client';
import { expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { CountHistogram } from '../../src/replica/count-histogram.js';

/** The same histogram twice: ours and prom-client's, each in a registry of its own. */
function pair(): { ours: CountHistogram; theirs: Histogram; a: Registry; b: Registry } {
  const a = new Registry();
  const b = new Registry();
  const o = { name: 'x_duration_seconds', help: 'Some duration.', buckets: exponentialBuckets(0.0001, 2, 16) };
  return { ours: new CountHistogram({ ...o, registers: [a] }), theirs: new Histogram({ ...o, registers: [b] }), a, b };
}

test('a CountHistogram exposes exactly what prom-client\'s Histogram does for the same observations (text and JSON)', async () => {
  const { ours, theirs, a, b } = pair();
  // Nothing observed yet: zeros, as prom-client shows an unlabelled histogram.
  expect(await a.metrics()).toBe(await b.metrics());
  const rng = new SeededRng(11);
  const values = [0, 0.0001, 0.0002, 0.00015, 3.2768, 3.2769, 100, -1];
  for (let i = 0; i < 500; i++) values.push(rng.nextInt(1_000_000) / 100_000);
  for (const v of values) {
    ours.observe(v);
    theirs.observe(v);
  }
  expect(await a.metrics()).toBe(await b.metrics());
  // JSON: the same samples (prom-client adds empty exemplars, which Replica.metricsJSON leaves out anyway).
  const samples = async (r: Registry): Promise<unknown> => (await r.getMetricsAsJSON()).map((m) => ({ ...m, values: m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })) }));
  expect(await samples(a)).toEqual(await samples(b));
  a.resetMetrics();
  b.resetMetrics();
  ours.observe(0.5);
  theirs.observe(0.5);
  expect(await a.metrics()).toBe(await b.metrics());
});
