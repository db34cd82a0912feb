import { describe, expect, test } from 'vitest';
import { Inflights } from '../../../src/raft/tracker/index.js';

describe('Inflights byte limit', () => {
  test('is full once the total reaches maxBytes', () => {
    const in_ = new Inflights(10, 1000);
    in_.add(1, 400);
    expect(in_.full()).toBe(false);
    in_.add(2, 599);
    expect(in_.full()).toBe(false);
    in_.add(3, 1);
    expect(in_.bytes).toBe(1000);
    expect(in_.full()).toBe(true);
    expect(() => in_.add(4, 1)).toThrow(RangeError);
  });

  test('one message may overshoot the limit', () => {
    const in_ = new Inflights(10, 100);
    in_.add(1, 5000);
    expect(in_.full()).toBe(true);
    in_.freeLE(1);
    expect(in_.full()).toBe(false);
  });

  test('freeing messages reopens the window', () => {
    const in_ = new Inflights(10, 300);
    in_.add(1, 100);
    in_.add(2, 100);
    in_.add(3, 100);
    expect(in_.full()).toBe(true);
    in_.freeLE(1);
    expect(in_.bytes).toBe(200);
    expect(in_.full()).toBe(false);
  });

  test.each([Infinity, 0])('maxBytes %s means no byte limit', (maxBytes) => {
    const in_ = new Inflights(3, maxBytes);
    in_.add(1, 1e12);
    in_.add(2, 1e12);
    expect(in_.full()).toBe(false);
    in_.add(3, 0);
    expect(in_.full()).toBe(true); // the count limit still applies
  });

  test('count and byte limits combine', () => {
    const in_ = new Inflights(2, 1000);
    in_.add(1, 1);
    in_.add(2, 1);
    expect(in_.full()).toBe(true);
    expect(in_.bytes).toBe(2);
  });
});
