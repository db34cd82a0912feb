#!/usr/bin/env node
/**
 * The `raftkit` command: one member of a raftkit cluster serving etcd's v3 API, configured with
 * etcd's flags and `ETCD_*` variables (see `raftkit --help`). SIGTERM and SIGINT stop it
 * gracefully; a bad flag exits with status 2 and a message naming the flag. The member itself
 * runs on a worker thread started from this same file, with a larger young generation (see
 * member-thread.ts).
 *
 * @packageDocumentation
 */
import { MessageChannel, isMainThread } from 'node:worker_threads';
import { EndpointAnswerer, serveMemberEndpoints } from './endpoint-bridge.js';
import { FlagError, helpText, parseFlags } from './flags.js';
import { jsonLog, logWriter, runMember } from './member.js';
import { endpointsPort, onStopRequest, runMemberThread } from './member-thread.js';
import { runRestore } from './restore.js';
import { RAFTKIT_VERSION, ETCD_API_VERSION } from '../version.js';

/** Runs the command; resolves with the exit code, or `undefined` once the exit code is set and the process should end by itself. */
async function main(): Promise<number | undefined> {
  if (process.argv[2] === 'restore') {
    return runRestore(process.argv.slice(3), (line, toStderr) => (toStderr ? process.stderr : process.stdout).write(`${line}\n`));
  }
  let parsed;
  try {
    parsed = parseFlags(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`raftkit: ${e.message}\nRun 'raftkit --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`raftkit Version: ${RAFTKIT_VERSION}\netcd API Version: ${ETCD_API_VERSION}\n`);
    return 0;
  }
  let log;
  try {
    log = jsonLog(parsed.config.logLevel, logWriter(parsed.config.logOutputs), parsed.config.logFormat);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`raftkit: ${e.message}\n`);
    return 2;
  }
  if (isMainThread) {
    // This thread serves the HTTP endpoints, answered by the member's thread (endpoint-bridge.ts).
    const channel = new MessageChannel();
    const endpoints = await serveMemberEndpoints(parsed.config, channel.port1, log);
    // The process ends by itself once the member's thread has exited and its last output is
    // written: process.exit could cut off what the thread wrote just before it ended.
    process.exitCode = await runMemberThread(new URL(import.meta.url), process.argv.slice(2), channel.port2, (text) => process.stderr.write(text));
    endpoints.close();
    return undefined;
  }
  const answerer = new EndpointAnswerer(endpointsPort());
  const member = await runMember(parsed.config, log);
  answerer.serve(member.endpoints);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log('info', 'received signal; shutting down', { signal });
      resolve();
    };
    onStopRequest(stop);
    void member.removed.then(() => {
      log('warn', 'this member was removed from the cluster; shutting down');
      resolve();
    });
  });
  answerer.close();
  await member.close();
  log('info', 'stopped');
  return 0;
}

main().then((code) => {
  if (code !== undefined) process.exit(code);
}, (e: unknown) => {
  process.stderr.write(`raftkit: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
