/**
 * Up-front checks of every argument of the public `Replica` API, so that a wrong argument is
 * refused at once with a typed error naming it, never half-used, silently coerced, or turned
 * into a raw `TypeError` deep inside.
 *
 * @module
 */
import { ConfigInvalidError } from '../raft/errors.js';
import { InvalidArgumentError } from './errors.js';
import type { PeerAddress } from './membership.js';
import type { ReplicaOptions, RequestOptions } from './options.js';

/** The longest member address accepted, in characters. */
export const MAX_ADDRESS_LENGTH = 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isMemberId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : String(v);
}

function hasMethods(v: unknown, names: readonly string[]): boolean {
  return isObject(v) && names.every((n) => typeof v[n] === 'function');
}

/**
 * Checks a member id argument.
 *
 * @throws {@link InvalidArgumentError} unless `id` is a positive safe integer.
 */
export function checkMemberId(what: string, id: unknown): number {
  if (!isMemberId(id)) throw new InvalidArgumentError(`${what} must be a positive integer member id, got ${describe(id)}`);
  return id;
}

/**
 * Checks an address argument: a non-empty string of printable characters without spaces,
 * at most {@link MAX_ADDRESS_LENGTH} long, that the transport accepts (`checkAddress`).
 *
 * @throws {@link InvalidArgumentError} naming the address.
 */
export function checkAddress(what: string, address: unknown, transportCheck?: (a: string) => void): string {
  if (typeof address !== 'string' || address.length === 0 || address.length > MAX_ADDRESS_LENGTH || !/^[\x21-\x7e]+$/.test(address)) {
    throw new InvalidArgumentError(`${what} must be a non-empty address of printable characters without spaces (at most ${MAX_ADDRESS_LENGTH}), got ${describe(address)}`);
  }
  try {
    transportCheck?.(address);
  } catch (err) {
    throw new InvalidArgumentError(`${what} ${describe(address)} is not an address the transport can dial: ${err instanceof Error ? err.message : String(err)}`);
  }
  return address;
}

/**
 * Checks the options of one request.
 *
 * @throws {@link InvalidArgumentError} naming the option.
 */
export function checkRequestOptions(o: unknown): RequestOptions {
  if (o === undefined) return {};
  if (!isObject(o)) throw new InvalidArgumentError(`request options must be an object, got ${describe(o)}`);
  const { timeoutMs, waitForLeader, signal } = o;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)) {
    throw new InvalidArgumentError(`timeoutMs must be a positive integer of milliseconds, got ${describe(timeoutMs)}`);
  }
  if (waitForLeader !== undefined && typeof waitForLeader !== 'boolean') throw new InvalidArgumentError(`waitForLeader must be a boolean, got ${describe(waitForLeader)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError(`signal must be an AbortSignal, got ${describe(signal)}`);
  return o;
}

/**
 * Checks the changes of `Replica.changeMembership`: an array of `{ type, id, address? }`
 * with a known type, a valid member id, and a valid address where one is given (required for
 * `add-learner`).
 *
 * @throws {@link InvalidArgumentError} naming the change.
 */
export function checkMemberChanges<T>(changes: T, transportCheck?: (a: string) => void): T {
  if (!Array.isArray(changes)) throw new InvalidArgumentError(`changes must be an array, got ${describe(changes)}`);
  (changes as unknown[]).forEach((c, i) => {
    if (!isObject(c) || !['add-voter', 'add-learner', 'remove'].includes(c['type'] as string)) {
      throw new InvalidArgumentError(`changes[${i}] must be { type: 'add-voter' | 'add-learner' | 'remove', id, address? }, got ${describe(isObject(c) ? c['type'] : c)}`);
    }
    checkMemberId(`changes[${i}].id`, c['id']);
    if (c['address'] !== undefined || c['type'] === 'add-learner') checkAddress(`changes[${i}].address`, c['address'], transportCheck);
  });
  return changes;
}

/**
 * Checks the arguments of `Replica.addMember`; returns whether the member joins as a learner.
 *
 * @throws {@link InvalidArgumentError} naming the argument.
 */
export function checkAddMember(id: unknown, address: unknown, options: unknown, transportCheck?: (a: string) => void): boolean {
  checkMemberId('id', id);
  checkAddress('address', address, transportCheck);
  const learner = isObject(options) ? options['learner'] : undefined;
  if (learner !== undefined && typeof learner !== 'boolean') throw new InvalidArgumentError(`learner must be a boolean, got ${describe(learner)}`);
  return learner === true;
}

/**
 * Checks a command argument.
 *
 * @throws {@link InvalidArgumentError} unless `command` is a `Uint8Array`.
 */
export function checkCommand(command: unknown): Uint8Array {
  if (!(command instanceof Uint8Array)) throw new InvalidArgumentError(`command must be a Uint8Array, got ${describe(command)}`);
  return command;
}

function checkPeerList(name: string, list: unknown, self: number): readonly PeerAddress[] {
  if (!Array.isArray(list)) throw new ConfigInvalidError(`${name} must be an array of { id, address }, got ${describe(list)}`);
  const seen = new Set<number>();
  for (const p of list as unknown[]) {
    if (!isObject(p) || !isMemberId(p['id'])) throw new ConfigInvalidError(`${name}: every entry needs a positive integer id, got ${describe(isObject(p) ? p['id'] : p)}`);
    const id = p['id'];
    if (seen.has(id)) throw new ConfigInvalidError(`${name} lists member ${id} twice`);
    seen.add(id);
    try {
      checkAddress(`${name}: the address of member ${id}`, p['address']);
    } catch (err) {
      throw new ConfigInvalidError((err as Error).message);
    }
  }
  if (name === 'peers' && !seen.has(self)) throw new ConfigInvalidError(`peers must include this member (${self})`);
  return list as readonly PeerAddress[];
}

/**
 * Checks the shape of {@link ReplicaOptions} before anything is opened: the id, the
 * dependencies' interfaces, the membership lists and every option's type (ranges are checked
 * by `resolveOptions` and `validateConfig`).
 *
 * @throws {@link ConfigInvalidError} naming the option.
 */
export function checkStartOptions(o: unknown): ReplicaOptions<unknown> {
  if (!isObject(o)) throw new ConfigInvalidError(`Replica.start needs an options object, got ${describe(o)}`);
  if (!isMemberId(o['id'])) throw new ConfigInvalidError(`id must be a positive integer, got ${describe(o['id'])}`);
  const id = o['id'];
  if (!hasMethods(o['storage'], ['open', 'close', 'save', 'initialState', 'snapshot', 'lastIndex'])) throw new ConfigInvalidError('storage must be a Storage (LevelStorage, MemoryStorage…)');
  if (!hasMethods(o['transport'], ['start', 'send', 'addPeer', 'removePeer', 'close', 'on', 'off'])) throw new ConfigInvalidError('transport must be a Transport (TcpTransport, InProcessTransport…)');
  const tid = (o['transport'] as { id?: unknown }).id;
  if (tid !== id) throw new ConfigInvalidError(`the transport's id (${describe(tid)}) is not the replica's id (${id})`);
  if (!hasMethods(o['stateMachine'], ['apply', 'appliedIndex', 'snapshot', 'restore'])) throw new ConfigInvalidError('stateMachine must implement apply, appliedIndex, snapshot and restore');
  if (o['clock'] !== undefined && !hasMethods(o['clock'], ['now', 'every'])) throw new ConfigInvalidError('clock must implement now() and every()');
  if (o['peers'] !== undefined) checkPeerList('peers', o['peers'], id);
  if (o['join'] !== undefined) checkPeerList('join', o['join'], id);
  const numbers = ['tickMs', 'snapshotEvery', 'compactionTail', 'maxPendingApply', 'maxPendingProposals', 'requestTimeoutMs', 'learnerMaxLag', 'healthIntervalMs', 'incarnation', 'maxRequestBytes', 'electionTick', 'heartbeatTick', 'maxSizePerMsg', 'maxCommittedSizePerReady', 'maxUncommittedEntriesSize', 'maxInflightMsgs', 'maxInflightBytes', 'seed'];
  for (const n of numbers) {
    const v = o[n];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new ConfigInvalidError(`${n} must be a number, got ${describe(v)}`);
  }
  const inc = o['incarnation'];
  if (inc !== undefined && (!Number.isInteger(inc) || (inc as number) < 0 || (inc as number) > 0xffffffff)) throw new ConfigInvalidError(`incarnation must be an integer in [0, 2^32 - 1], got ${describe(inc)}`);
  for (const b of ['checkQuorum', 'preVote', 'disableProposalForwarding', 'stepDownOnRemoval', 'strictReconfigCheck']) {
    if (o[b] !== undefined && typeof o[b] !== 'boolean') throw new ConfigInvalidError(`${b} must be a boolean, got ${describe(o[b])}`);
  }
  const advance = o['initialElectionTickAdvance'];
  if (advance !== undefined && typeof advance !== 'boolean' && advance !== 'lone-voter') throw new ConfigInvalidError(`initialElectionTickAdvance must be a boolean or 'lone-voter', got ${describe(advance)}`);
  return o as unknown as ReplicaOptions<unknown>;
}
