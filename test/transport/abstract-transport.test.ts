import { describe, expect, test } from 'vitest';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import type { Message } from '../../src/raft/messages.js';
import { NotOpenError } from '../../src/lifecycle.js';
import { AbstractTransport } from '../../src/transport/abstract-transport.js';
import { appMsg, next } from './helpers.js';

/** The smallest implementation: records what the base hands to `_send`. */
class Recorder extends AbstractTransport {
  sent: [number, Message][] = [];
  calls: string[] = [];
  failStart = false;
  get address(): string {
    return `rec://${this.id}`;
  }
  protected override _start(): Promise<void> {
    this.calls.push('start');
    return this.failStart ? Promise.reject(new Error('boom')) : Promise.resolve();
  }
  protected _send(peer: number, message: Message): void {
    this.sent.push([peer, message]);
  }
  protected override _addPeer(id: number, address: string, previous: string | undefined): void {
    this.calls.push(`add ${id} ${address} ${previous ?? '-'}`);
  }
  protected override _removePeer(id: number): void {
    this.calls.push(`remove ${id}`);
  }
  protected override _close(): Promise<void> {
    this.calls.push('close');
    return Promise.resolve();
  }
  unreachable(peer: number): void {
    this._unreachable(peer);
  }
}

describe('AbstractTransport', () => {
  test('lifecycle: opening → open → closing → closed; close is idempotent and refuses later calls', async () => {
    const t = new Recorder({ id: 1 });
    expect(t.status).toBe('opening');
    const started = t.start();
    expect(t.start()).toBe(started);
    await started;
    expect(t.status).toBe('open');
    const closing = t.close();
    expect(t.status).toBe('closing');
    await Promise.all([closing, t.close()]);
    expect(t.status).toBe('closed');
    expect(t.calls).toEqual(['start', 'close']);
    expect(() => t.send([])).toThrow(NotOpenError);
    expect(() => t.addPeer(2, 'x')).toThrow(NotOpenError);
    await expect(t.start()).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
  });

  test('sends made while opening are deferred, then handed over in order', async () => {
    const t = new Recorder({ id: 1 });
    t.addPeer(2, 'rec://2');
    t.send([appMsg(1, 2, 1), appMsg(1, 2, 2)]);
    expect(t.sent).toEqual([]);
    await t.start();
    expect(t.sent.map(([p, m]) => [p, m.index])).toEqual([[2, 1], [2, 2]]);
  });

  test('beyond maxDeferredMessages, sends made while opening are dropped with unreachable', async () => {
    const t = new Recorder({ id: 1, maxDeferredMessages: 1 });
    t.addPeer(2, 'rec://2');
    const un = next(t, 'unreachable');
    t.send([appMsg(1, 2, 1), appMsg(1, 2, 2)]);
    expect((await un)[0]).toBe(2);
    await t.start();
    expect(t.sent.length).toBe(1);
    expect(t.stats().get(2)!.sendFailures).toBe(1);
  });

  test('a failing start leaves the transport closed and rejects', async () => {
    const t = new Recorder({ id: 1 });
    t.failStart = true;
    await expect(t.start()).rejects.toThrow('boom');
    expect(t.status).toBe('closed');
    expect(t.calls).toEqual(['start', 'close']);
  });

  test('configuration and addPeer arguments are validated', () => {
    expect(() => new Recorder({ id: 0 })).toThrow(ConfigInvalidError);
    expect(() => new Recorder({ id: 1.5 })).toThrow(ConfigInvalidError);
    expect(() => new Recorder({ id: 1, maxFrameSize: 0 })).toThrow(ConfigInvalidError);
    const t = new Recorder({ id: 1 });
    expect(() => t.addPeer(1, 'rec://1')).toThrow(ConfigInvalidError);
    expect(() => t.addPeer(-2, 'rec://2')).toThrow(ConfigInvalidError);
    expect(() => t.addPeer(2, '')).toThrow(ConfigInvalidError);
  });

  test('addPeer passes the previous address; the same address is a no-op; removePeer drops deferred sends and stats', async () => {
    const t = new Recorder({ id: 1 });
    t.addPeer(2, 'a');
    t.addPeer(2, 'a');
    t.addPeer(2, 'b');
    t.send([appMsg(1, 2, 1)]);
    t.removePeer(2);
    t.removePeer(2);
    await t.start();
    expect(t.calls).toEqual(['add 2 a -', 'add 2 b a', 'remove 2', 'start']);
    expect(t.sent).toEqual([]);
    expect(t.stats().has(2)).toBe(false);
  });

  test('unreachable is deferred to a microtask and deduplicated per turn; nothing is emitted after close', async () => {
    const t = new Recorder({ id: 1 });
    await t.start();
    const seen: number[] = [];
    t.on('unreachable', (p) => seen.push(p));
    t.unreachable(2);
    t.unreachable(2);
    t.unreachable(3);
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual([2, 3]);
    t.unreachable(2);
    await t.close();
    await Promise.resolve();
    expect(seen).toEqual([2, 3]);
  });

  test('Symbol.asyncDispose closes', async () => {
    const t = new Recorder({ id: 1 });
    await t.start();
    await t[Symbol.asyncDispose]();
    expect(t.status).toBe('closed');
  });
});
