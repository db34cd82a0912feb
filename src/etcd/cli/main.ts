#!/usr/bin/env -S node --max-semi-space-size=32 --min-semi-space-size=32
/**
 * The `raftkit` command: one member of a raftkit cluster serving etcd's v3 API, configured with
 * etcd's flags and `ETCD_*` variables (see `raftkit --help`). SIGTERM and SIGINT stop it
 * gracefully; a bad flag exits with status 2 and a message naming the flag.
 *
 * @packageDocumentation
 */
import { FlagError, helpText, parseFlags } from './flags.js';
import { jsonLog, runMember } from './member.js';
import { runRestoreCommand } from '../../kv/etcd-backend/restore-command.js';
import { RAFTKIT_VERSION, ETCD_API_VERSION } from '../version.js';

async function main(): Promise<number> {
  if (process.argv[2] === 'restore') {
    return runRestoreCommand(process.argv.slice(3), (line, toStderr) => (toStderr ? process.stderr : process.stdout).write(`${line}\n`));
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
  const log = jsonLog(parsed.config.logLevel, (line) => process.stderr.write(line));
  const member = await runMember(parsed.config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log('info', 'received signal; shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    void member.removed.then(() => {
      log('warn', 'this member was removed from the cluster; shutting down');
      resolve();
    });
  });
  await member.close();
  log('info', 'stopped');
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`raftkit: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
