import { describe, expect, test } from 'vitest';
import { Inflights } from '../../../src/raft/tracker/index.js';

function indexes(in_: Inflights): number[] {
  return in_.entries().map((e) => e.index);
}

describe('Inflights add and freeLE', () => {
  test('adds in order and counts', () => {
    const in_ = new Inflights(10, Infinity);
    for (let i = 0; i < 5; i++) in_.add(i, 100 + i);
    expect(in_.count()).toBe(5);
    expect(in_.bytes).toBe(510);
    expect(in_.full()).toBe(false);
    expect(indexes(in_)).toEqual([0, 1, 2, 3, 4]);
  });

  test('fills up to size and then refuses', () => {
    const in_ = new Inflights(10, Infinity);
    for (let i = 0; i < 10; i++) in_.add(i, 1);
    expect(in_.full()).toBe(true);
    expect(() => in_.add(10, 1)).toThrow(RangeError);
    expect(in_.count()).toBe(10);
  });

  test('freeLE frees everything up to and including the index', () => {
    const in_ = new Inflights(10, Infinity);
    for (let i = 0; i < 10; i++) in_.add(i, 1);
    in_.freeLE(0);
    expect(indexes(in_)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    in_.freeLE(4);
    expect(indexes(in_)).toEqual([5, 6, 7, 8, 9]);
    expect(in_.bytes).toBe(5);
    in_.freeLE(8);
    expect(indexes(in_)).toEqual([9]);
    in_.freeLE(9);
    expect(in_.count()).toBe(0);
    expect(in_.bytes).toBe(0);
  });

  test('freeLE below the oldest index and on an empty window is a no-op', () => {
    const in_ = new Inflights(4, Infinity);
    in_.freeLE(100);
    expect(in_.count()).toBe(0);
    in_.add(10, 1);
    in_.add(20, 1);
    in_.freeLE(9);
    expect(indexes(in_)).toEqual([10, 20]);
    in_.freeLE(15);
    expect(indexes(in_)).toEqual([20]);
  });

  test('freeLE beyond the newest index frees everything', () => {
    const in_ = new Inflights(4, Infinity);
    in_.add(1, 1);
    in_.add(2, 1);
    in_.freeLE(1000);
    expect(in_.count()).toBe(0);
    expect(in_.full()).toBe(false);
  });

  test('reset empties the window', () => {
    const in_ = new Inflights(3, 100);
    in_.add(1, 50);
    in_.add(2, 50);
    expect(in_.full()).toBe(true);
    in_.reset();
    expect(in_.count()).toBe(0);
    expect(in_.bytes).toBe(0);
    expect(in_.full()).toBe(false);
    in_.add(7, 1);
    expect(indexes(in_)).toEqual([7]);
  });

  test('clone is independent of the original', () => {
    const in_ = new Inflights(4, Infinity);
    in_.add(1, 10);
    in_.add(2, 20);
    const c = in_.clone();
    c.add(3, 30);
    in_.freeLE(1);
    expect(indexes(in_)).toEqual([2]);
    expect(indexes(c)).toEqual([1, 2, 3]);
    expect(c.bytes).toBe(60);
    expect(in_.bytes).toBe(20);
  });

  test('size 0 is always full', () => {
    expect(new Inflights(0, Infinity).full()).toBe(true);
  });
});
