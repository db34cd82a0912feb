import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

/** perf_hooks' garbage collection kinds, by the label prom-client's default metrics give them. */
const KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/**
 * Counts and times the process's garbage collections in `nodejs_gc_duration_seconds{kind}` (the
 * name, labels and buckets of prom-client's default metric; the Node.js counterpart of the
 * `go_gc_duration_seconds` an etcd member exports), registered on `registry`. The collections
 * are the whole process's, as a member's CPU is. Returns a function that stops observing.
 *
 * @param registry - where the histogram is registered.
 * @returns stops observing (the histogram keeps its values).
 */
export function observeGc(registry: Registry): () => void {
  const h = new Histogram({
    name: 'nodejs_gc_duration_seconds', help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'], buckets: [0.001, 0.01, 0.1, 1, 2, 5], registers: [registry],
  });
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = KINDS.get((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1);
      if (kind !== undefined) h.observe({ kind }, e.duration / 1000);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return () => obs.disconnect();
}
