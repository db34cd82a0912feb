/**
 * `npm run chaos`: the KV workload against real member processes (classic-level, TCP on
 * loopback) under kill -9, SIGSTOP/SIGCONT and restarts, checked for linearizability at the
 * end (and the watch streams for etcd's guarantees). See chaos/README.md. Exit status: 0 pass, 1 not linearizable, a watch guarantee broken or an acknowledged write
 * lost, 2 inconclusive (the check ran out of time) or the harness failed.
 */
import { runChaos } from './chaos.js';
import { USAGE, parseOptions, type ChaosOptions } from './options.js';
import { formatSummary } from './summary.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
let options: ChaosOptions;
try {
  options = parseOptions(argv, process.env);
} catch (err) {
  console.error(`${String(err)}\n${USAGE}`);
  process.exit(2);
}
try {
  const report = await runChaos(options);
  for (const line of formatSummary(report)) console.log(line);
  process.exitCode = report.passed ? 0 : report.check.ok === 'unknown' && report.lost.length === 0 ? 2 : 1;
} catch (err) {
  console.error(`chaos run failed (seed ${options.seed}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 2;
}
