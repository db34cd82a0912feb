import { createServer } from 'node:net';
import { expect, test, vi } from 'vitest';
import { freePort, freePorts } from '../../examples/kv-cluster/driver.js';

// The multi-process tests pick their members' ports with freePort: ports the OS never hands out
// itself (below its ephemeral range), so an outgoing connection of another test cannot take one
// between the pick and the member's bind.

test('freePort gives distinct bindable loopback ports below the ephemeral range', async () => {
  const ports = await freePorts(20);
  for (const p of ports) expect(p >= 20000 && p <= 32767).toBe(true);
  expect(new Set(ports).size).toBe(20);
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(ports[0], '127.0.0.1', resolve);
  });
  srv.close();
});

test('freePort skips a port that is taken', async () => {
  // The first two picks land on a port of the range bound here, the third on the next one up.
  const inRange = createServer();
  const port = await new Promise<number>((resolve) => {
    const tryPort = (p: number): void => {
      inRange.once('error', () => tryPort(p + 1));
      inRange.listen(p, '127.0.0.1', () => resolve(p));
    };
    tryPort(25000);
  });
  const at = (p: number): number => (p - 20000 + 0.5) / (32767 - 20000 + 1);
  const random = vi.spyOn(Math, 'random').mockReturnValueOnce(at(port)).mockReturnValueOnce(at(port)).mockReturnValueOnce(at(port + 1));
  try {
    const got = await freePort();
    expect(got).not.toBe(port);
    expect(random).toHaveBeenCalledTimes(3);
  } finally {
    random.mockRestore();
    inRange.close();
  }
});

test('calls made together never get the same port, even when their random picks agree', async () => {
  // Before a member binds its port, the port is still free: a second caller must not be handed it.
  const at = (p: number): number => (p - 20000 + 0.5) / (32767 - 20000 + 1);
  const first = await freePort();
  const plus = (n: number): number => 20000 + ((first - 20000 + n) % (32767 - 20000 + 1));
  const random = vi.spyOn(Math, 'random').mockReturnValueOnce(at(first)).mockReturnValueOnce(at(plus(7))).mockReturnValueOnce(at(plus(7))).mockReturnValueOnce(at(plus(9)));
  try {
    const [a, b] = await Promise.all([freePort(), freePort()]);
    expect(a).not.toBe(first);
    expect(new Set([a, b, first]).size).toBe(3);
  } finally {
    random.mockRestore();
  }
});
