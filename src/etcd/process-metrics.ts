import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * A soft limit of the process from `/proc/self/limits` (Linux), by the row's name (`Max open
 * files`, `Max address space`): a number, `Infinity` when unlimited, undefined when absent.
 */
function softLimit(row: string): number | undefined {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(row));
  const soft = line?.slice(row.length).trim().split(/\s+/)[0];
  return soft === undefined ? undefined : soft === 'unlimited' ? Infinity : Number(soft);
}

/** The process's virtual memory size in bytes, from `/proc/self/stat` (its 23rd field). */
function virtualBytes(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[20]);
}

/**
 * The process metrics Prometheus' Go client exports for an etcd member, under the same names:
 * `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_start_time_seconds`, and
 * on Linux `process_virtual_memory_bytes`, `process_virtual_memory_max_bytes`, `process_open_fds` and
 * `process_max_fds` (and etcd's own
 * `os_fd_used` and `os_fd_limit`). etcd's Grafana
 * dashboard (its memory panel) and `etcdctl check datascale` read `process_resident_memory_bytes`.
 * They describe the whole process, as a member's CPU and memory are. Registered on `registry`;
 * the values are read at each scrape.
 *
 * @param registry - where the metrics are registered.
 */
export function observeProcess(registry: Registry): void {
  const registers = [registry];
  let cpuSeen = 0;
  new Counter({
    name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers,
    collect() {
      const u = process.cpuUsage();
      const now = (u.user + u.system) / 1e6;
      if (now > cpuSeen) this.inc(now - cpuSeen);
      cpuSeen = Math.max(cpuSeen, now);
    },
  });
  new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', registers, collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers })
    .set(Date.now() / 1000 - process.uptime());
  if (!existsSync('/proc/self/stat')) return;
  new Gauge({ name: 'process_virtual_memory_bytes', help: 'Virtual memory size in bytes.', registers, collect() { this.set(virtualBytes()); } });
  // etcd's own name for the same count (its runtime package) is set from the same read, at each scrape.
  const fdUsed = new Gauge({ name: 'os_fd_used', help: 'The number of used file descriptors.', registers: [] });
  new Gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.', registers, collect() {
    const n = readdirSync('/proc/self/fd').length;
    this.set(n);
    fdUsed.set(n);
  } });
  registry.registerMetric(fdUsed);
  // Go's client reports an unlimited address space as the largest uint64, as a float.
  const maxVirtual = softLimit('Max address space');
  if (maxVirtual !== undefined) {
    new Gauge({ name: 'process_virtual_memory_max_bytes', help: 'Maximum amount of virtual memory available in bytes.', registers })
      .set(maxVirtual === Infinity ? 2 ** 64 : maxVirtual);
  }
  const max = softLimit('Max open files');
  if (max === undefined || max === Infinity) return;
  new Gauge({ name: 'process_max_fds', help: 'Maximum number of open file descriptors.', registers }).set(max);
  new Gauge({ name: 'os_fd_limit', help: 'The file descriptor limit.', registers }).set(max);
}
