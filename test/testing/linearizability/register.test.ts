import { expect, test } from 'vitest';
import { checkLinearizable, registerModel, type RegisterInput, type RegisterOutput } from '../../../src/testing/linearizability/index.js';
import { ok, reg } from './helpers.js';

const model = registerModel();

test('register: sequential history is linearizable', () => {
  const history = [reg.write(1, 0, 1, 1), reg.read(1, 2, 3, 1), reg.write(2, 4, 5, 2), reg.read(3, 6, 7, 2)];
  expect(checkLinearizable(history, model)).toMatchObject({ ok: true, partitions: 1 });
});

test('register: empty history is linearizable', () => {
  expect(checkLinearizable([], model).ok).toBe(true);
});

test('register: a read overlapping a write may see the old value', () => {
  const history = [reg.write(1, 0, 10, 1), reg.read(2, 2, 3, null)];
  expect(checkLinearizable(history, model).ok).toBe(true);
});

test('register: a read overlapping a write may see the new value', () => {
  const history = [reg.write(1, 0, 10, 1), reg.read(2, 2, 3, 1)];
  expect(checkLinearizable(history, model).ok).toBe(true);
});

test('register: concurrent writes may land in either order', () => {
  const first = [reg.write(1, 0, 5, 'a'), reg.write(2, 1, 6, 'b'), reg.read(3, 7, 8, 'a')];
  const second = [reg.write(1, 0, 5, 'a'), reg.write(2, 1, 6, 'b'), reg.read(3, 7, 8, 'b')];
  expect(checkLinearizable(first, model).ok).toBe(true);
  expect(checkLinearizable(second, model).ok).toBe(true);
});

test('register: touching intervals (return time == call time) count as concurrent', () => {
  const history = [reg.write(1, 0, 5, 1), reg.read(2, 5, 6, null)];
  expect(checkLinearizable(history, model).ok).toBe(true);
});

test('register: stale read fails (a newer write had completed)', () => {
  const history = [reg.write(1, 0, 1, 1), reg.write(1, 2, 3, 2), reg.read(2, 4, 5, 1)];
  const result = checkLinearizable(history, model);
  expect(result.ok).toBe(false);
});

test('register: lost write fails (an acknowledged write is never seen)', () => {
  const history = [reg.write(1, 0, 1, 1), reg.read(2, 2, 3, null), reg.read(3, 4, 5, null)];
  expect(checkLinearizable(history, model).ok).toBe(false);
});

test('register: read-your-write violation fails (a client reads a value older than its own write)', () => {
  const history = [reg.write(2, 0, 1, 'theirs'), reg.write(1, 2, 3, 'mine'), reg.read(1, 4, 5, 'theirs')];
  expect(checkLinearizable(history, model).ok).toBe(false);
});

test('register: new-then-old reads during one write fail', () => {
  const history = [reg.write(1, 0, 10, 1), reg.read(2, 1, 2, 1), reg.read(3, 3, 4, null)];
  expect(checkLinearizable(history, model).ok).toBe(false);
});

test('register: reading a value never written fails', () => {
  expect(checkLinearizable([reg.write(1, 0, 1, 1), reg.read(2, 2, 3, 7)], model).ok).toBe(false);
});

test('register: cas swaps only when the register holds the expected value', () => {
  const good = [
    reg.write(1, 0, 1, 'a'),
    reg.cas(2, 2, 3, 'a', 'b', true),
    reg.cas(3, 4, 5, 'a', 'c', false),
    reg.read(1, 6, 7, 'b'),
  ];
  expect(checkLinearizable(good, model).ok).toBe(true);
  const bad = [reg.write(1, 0, 1, 'a'), reg.cas(2, 2, 3, 'z', 'b', true)];
  expect(checkLinearizable(bad, model).ok).toBe(false);
});

test('register: initial value option', () => {
  expect(checkLinearizable([reg.read(1, 0, 1, 0)], registerModel({ initial: 0 })).ok).toBe(true);
  expect(checkLinearizable([reg.read(1, 0, 1, 0)], model).ok).toBe(false);
});

test('register: an output of the wrong kind never matches', () => {
  const history = [ok<RegisterInput, RegisterOutput>(1, 0, 1, { op: 'read' }, { op: 'write' })];
  expect(checkLinearizable(history, model).ok).toBe(false);
});
