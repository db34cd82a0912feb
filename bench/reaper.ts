/**
 * Member processes that die with the bench.
 *
 * The benches spawn etcd and `raftkit` members as plain children (no IPC channel, so a member
 * does not notice its parent going). A bench stopped by a signal (`timeout`, `kill`, a CI
 * runner cancelling it) used to leave its members running: three or six idle processes with
 * their heartbeats and timers, quietly loading every later measurement on the box (found
 * 2026-12-06: four clusters left by interrupted runs had been running for half an hour).
 *
 * {@link reapOnExit} kills a child with SIGKILL, and removes any directories named with it, when
 * this process exits (normally or through an uncaught error) or receives SIGINT, SIGTERM or
 * SIGHUP; after a signal the process then ends as that signal's default action would (unless
 * something else listens for it). Only SIGKILL of the bench itself still leaks its children.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** The signals after which the members are killed before this process ends. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const children = new Map<ChildProcess, readonly string[]>();
let installed = false;

/** Kills every child still registered and removes its directories. */
function reapAll(): void {
  for (const [child, dirs] of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  children.clear();
}

/** Reaps on exit and on each of {@link SIGNALS}, then lets the signal end the process. */
function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', reapAll);
  const handlers = SIGNALS.map((signal) => {
    const onSignal = (): void => {
      reapAll();
      SIGNALS.forEach((s, i) => process.removeListener(s, handlers[i]!));
      // With no other listener left, the signal's default action ends the process.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
    return onSignal;
  });
}

/**
 * Registers `child` to be killed (SIGKILL) when this process exits or is stopped by SIGINT,
 * SIGTERM or SIGHUP, and `dirs` (its data) to be removed then.
 *
 * @param child - a spawned member.
 * @param dirs - directories to remove with it.
 * @returns a function that unregisters it (call it once the child has been stopped).
 */
export function reapOnExit(child: ChildProcess, dirs: readonly string[] = []): () => void {
  install();
  children.set(child, dirs);
  return () => {
    children.delete(child);
  };
}
