import { expect, test } from 'vitest';
import { kvModel, type KvState } from '../../../src/testing/linearizability/index.js';
import { OneKeyState } from '../../../src/testing/linearizability/kv-state.js';

test('kv state: a one-key state reads, iterates and hashes like a Map with that entry', () => {
  const state = new OneKeyState('k', 'v');
  const map = new Map([['k', 'v']]);
  expect(state.size).toBe(1);
  expect(state.get('k')).toBe('v');
  expect(state.get('x')).toBeUndefined();
  expect(state.has('k') && !state.has('x')).toBe(true);
  expect([...state]).toEqual([...map]);
  expect([...state.keys()]).toEqual(['k']);
  expect([...state.values()]).toEqual(['v']);
  const seen: [string, string][] = [];
  state.forEach((value, key, self) => {
    expect(self).toBe(state);
    seen.push([key, value]);
  });
  expect(seen).toEqual([['k', 'v']]);
  const model = kvModel();
  expect(model.hash(state)).toBe(model.hash(map));
});

test('kv state: writes to one key give one-key states; a second key gives a full map; deletes return to empty', () => {
  const model = kvModel();
  const step = (state: KvState, input: Parameters<typeof model.step>[1]): KvState => {
    const result = model.step(state, input, undefined);
    if (!result.ok) throw new Error('rejected');
    return result.state;
  };
  const a = step(model.init(), { op: 'put', key: 'a', value: '1' });
  expect(a).toBeInstanceOf(OneKeyState);
  const a2 = step(a, { op: 'cas', key: 'a', expected: '1', value: '2' });
  expect([...a2]).toEqual([['a', '2']]);
  const ab = step(a2, { op: 'put', key: 'b', value: '3' });
  expect(new Map(ab)).toEqual(new Map([['a', '2'], ['b', '3']]));
  expect(model.hash(ab)).toBe(model.hash(new Map([['b', '3'], ['a', '2']])));
  const empty = step(a2, { op: 'delete', key: 'a' });
  expect(empty.size).toBe(0);
  expect(model.hash(empty)).toBe(model.hash(model.init()));
  expect(model.step(a2, { op: 'get', key: 'a' }, { op: 'get', value: '2' }).ok).toBe(true);
});

test('kv state: a step that keeps a one-key state returns its one result object; a write makes a state that hashes like a Map', () => {
  const model = kvModel();
  const first = model.step(model.init(), { op: 'put', key: 'k', value: 'v' }, { op: 'put' });
  if (!first.ok) throw new Error('rejected');
  const read = model.step(first.state, { op: 'get', key: 'k' }, { op: 'get', value: 'v' });
  expect(read).toBe(first);
  expect(model.step(first.state, { op: 'get', key: 'k' }, { op: 'get', value: 'w' })).toEqual({ ok: false });
  const second = model.step(first.state, { op: 'put', key: 'k', value: 'w' }, undefined);
  if (!second.ok) throw new Error('rejected');
  expect(second.state).toBeInstanceOf(OneKeyState);
  expect(model.hash(second.state)).toBe(model.hash(new Map([['k', 'w']])));
  expect(model.hash(second.state)).not.toBe(model.hash(first.state));
});
