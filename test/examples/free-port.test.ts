import { createServer } from 'node:net';
import { expect, test, vi } from 'vitest';
import { freePort, freePorts, portRange } from '../../examples/kv-cluster/driver.js';

// The multi-process tests pick their members' ports with freePort: ports the OS never hands out
// itself (below its ephemeral range), so an outgoing connection of another test cannot take one
// between the pick and the member's bind. Test files running side by side (vitest's workers)
// pick from parts of the range of their own.

/** The value of Math.random that makes freePort pick `p` (in this worker's part of the range). */
function at(p: number): number {
  const { from, to } = portRange();
  return (p - from + 0.5) / (to - from + 1);
}

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
    tryPort(portRange().from + 100);
  });
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
  const { from, to } = portRange();
  const first = await freePort();
  const plus = (n: number): number => from + ((first - from + n) % (to - from + 1));
  const random = vi.spyOn(Math, 'random').mockReturnValueOnce(at(first)).mockReturnValueOnce(at(plus(7))).mockReturnValueOnce(at(plus(7))).mockReturnValueOnce(at(plus(9)));
  try {
    const [a, b] = await Promise.all([freePort(), freePort()]);
    expect(a).not.toBe(first);
    expect(new Set([a, b, first]).size).toBe(3);
  } finally {
    random.mockRestore();
  }
});

test('each vitest worker slot picks from a quarter of the range of its own; outside vitest, from all of it', () => {
  const saved = process.env['VITEST_POOL_ID'];
  try {
    const slices = [1, 2, 3, 4, 5].map((id) => {
      process.env['VITEST_POOL_ID'] = String(id);
      return portRange();
    });
    for (const [i, r] of slices.slice(0, 4).entries()) {
      expect(r.from).toBeGreaterThanOrEqual(20000);
      expect(r.to).toBeLessThanOrEqual(32767);
      for (const other of slices.slice(i + 1, 4)) expect(r.to < other.from || other.to < r.from).toBe(true);
    }
    expect(slices[4]).toEqual(slices[0]);
    delete process.env['VITEST_POOL_ID'];
    expect(portRange()).toEqual({ from: 20000, to: 32767 });
  } finally {
    if (saved === undefined) delete process.env['VITEST_POOL_ID'];
    else process.env['VITEST_POOL_ID'] = saved;
  }
});
