import { describe, expect, test } from 'vitest';
import { Inflights } from '../../../src/raft/tracker/index.js';
import { SeededRng } from '../../../src/raft/rng.js';

describe('Inflights ring buffer wrap-around', () => {
  test('keeps order across the end of the buffer', () => {
    const in_ = new Inflights(10, Infinity);
    for (let i = 0; i < 5; i++) in_.add(i, 1);
    in_.freeLE(4); // empty: restarts at slot 0
    for (let i = 5; i < 12; i++) in_.add(i, 1);
    in_.freeLE(8); // start moves to slot 4
    for (let i = 12; i < 18; i++) in_.add(i, 1); // slots 7..9 then 0..2
    expect(in_.entries().map((e) => e.index)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    in_.add(18, 1);
    expect(in_.full()).toBe(true);
    in_.freeLE(14);
    expect(in_.entries().map((e) => e.index)).toEqual([15, 16, 17, 18]);
    expect(in_.bytes).toBe(4);
  });

  test('wraps with byte accounting intact', () => {
    const in_ = new Inflights(3, Infinity);
    in_.add(1, 10);
    in_.add(2, 20);
    in_.add(3, 30);
    in_.freeLE(2);
    in_.add(4, 40);
    in_.add(5, 50); // slots 0 and 1 again
    expect(in_.entries()).toEqual([
      { index: 3, bytes: 30 },
      { index: 4, bytes: 40 },
      { index: 5, bytes: 50 },
    ]);
    expect(in_.bytes).toBe(120);
    in_.freeLE(4);
    expect(in_.bytes).toBe(50);
  });

  test('a clone taken mid-wrap behaves like the original', () => {
    const in_ = new Inflights(4, Infinity);
    for (let i = 1; i <= 4; i++) in_.add(i, i);
    in_.freeLE(2);
    in_.add(5, 5);
    const c = in_.clone();
    c.add(6, 6);
    in_.add(6, 6);
    expect(c.entries()).toEqual(in_.entries());
    expect(c.full()).toBe(true);
  });

  test.each([1, 2, 3, 4, 5])('matches a naive queue over random operations, seed %i', (seed) => {
    const rng = new SeededRng(seed);
    const size = 1 + rng.nextInt(20);
    const maxBytes = rng.nextInt(2) === 0 ? Infinity : 1 + rng.nextInt(500);
    const in_ = new Inflights(size, maxBytes);
    let model: Array<{ index: number; bytes: number }> = [];
    let last = 0;
    for (let step = 0; step < 3000; step++) {
      const modelBytes = model.reduce((s, e) => s + e.bytes, 0);
      const modelFull = model.length >= size || modelBytes >= maxBytes;
      expect(in_.full(), `seed=${seed} step=${step}`).toBe(modelFull);
      const op = rng.nextInt(3);
      if (op < 2 && !modelFull) {
        last += 1 + rng.nextInt(3);
        const bytes = rng.nextInt(100);
        in_.add(last, bytes);
        model.push({ index: last, bytes });
      } else if (op === 2 && rng.nextInt(50) === 0) {
        in_.reset();
        model = [];
      } else {
        const to = last - rng.nextInt(10);
        in_.freeLE(to);
        model = model.filter((e) => e.index > to);
      }
      expect(in_.count()).toBe(model.length);
      expect(in_.bytes).toBe(model.reduce((s, e) => s + e.bytes, 0));
      expect(in_.entries()).toEqual(model);
    }
  });
});
