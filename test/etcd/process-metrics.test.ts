import { closeSync, openSync, readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { observeProcess } from '../../src/etcd/process-metrics.js';

// The process metrics an etcd member exports through Prometheus' Go client, under its names:
// etcd's Grafana dashboard and `etcdctl check datascale` read process_resident_memory_bytes.

/** The value of the sample `name` (no labels) in `text`. */
function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`${name} not exported:\n${text}`);
  return Number(m[1]);
}

test('resident and virtual memory, CPU seconds (a counter that grows), start time and file descriptors, read at each scrape', async () => {
  const registry = new Registry();
  observeProcess(registry);
  const first = await registry.metrics();
  expect(first).toContain('# TYPE process_cpu_seconds_total counter');
  const rss = sample(first, 'process_resident_memory_bytes');
  expect(rss).toBeGreaterThan(10 * 1024 * 1024);
  expect(Math.abs(rss - process.memoryUsage.rss())).toBeLessThan(64 * 1024 * 1024);
  expect(sample(first, 'process_virtual_memory_bytes')).toBeGreaterThanOrEqual(rss);
  // The address space limit as /proc/self/limits gives it; unlimited (the usual case) is Go's largest uint64.
  const limit = /^Max address space\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
  expect(sample(first, 'process_virtual_memory_max_bytes')).toBe(limit === 'unlimited' ? 2 ** 64 : Number(limit));
  const start = sample(first, 'process_start_time_seconds');
  expect(start).toBeLessThanOrEqual(Date.now() / 1000);
  expect(start).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
  const cpu = sample(first, 'process_cpu_seconds_total');
  expect(cpu).toBeGreaterThan(0);
  // Work, and a file opened: the next scrape sees both.
  const until = performance.now() + 50;
  while (performance.now() < until) Math.sqrt(Math.random());
  const fds = sample(first, 'process_open_fds');
  const opened = Array.from({ length: 20 }, () => openSync(process.execPath, 'r'));
  try {
    const second = await registry.metrics();
    expect(sample(second, 'process_cpu_seconds_total')).toBeGreaterThan(cpu);
    expect(sample(second, 'process_open_fds')).toBeGreaterThanOrEqual(fds + 15);
    expect(sample(second, 'process_max_fds')).toBeGreaterThanOrEqual(sample(second, 'process_open_fds'));
    // etcd's own names for the same.
    expect(sample(second, 'os_fd_used')).toBeGreaterThanOrEqual(fds + 15);
    expect(sample(second, 'os_fd_limit')).toBe(sample(second, 'process_max_fds'));
  } finally {
    for (const fd of opened) closeSync(fd);
  }
});
