import { expect, test } from 'vitest';
import { LinearizedSet } from '../../../src/testing/linearizability/bitset.js';
import { ConfigurationCache, StateTable } from '../../../src/testing/linearizability/configuration-cache.js';
import { kvModel } from '../../../src/testing/linearizability/index.js';
import { Scratch } from '../../../src/testing/linearizability/scratch.js';
import { SeededRng } from '../../../src/raft/rng.js';

test('configuration cache: a configuration met again is refused, with the same state only', () => {
  const set = new LinearizedSet(10, 0);
  const cache = new ConfigurationCache();
  set.add(3);
  expect(cache.add(set, 0)).toBe(true);
  expect(cache.add(set, 0)).toBe(false);
  expect(cache.add(set, 1)).toBe(true);
  set.add(4);
  expect(cache.add(set, 0)).toBe(true);
});

test('configuration cache: more unknown operations linearized is dominated; fewer replaces the entry', () => {
  const set = new LinearizedSet(3, 40);
  const u = (j: number): number => set.unknownBase + j;
  const cache = new ConfigurationCache();
  set.add(0);
  set.add(u(1));
  expect(cache.add(set, 0)).toBe(true);
  set.add(u(35));
  expect(cache.add(set, 0)).toBe(false); // {u1, u35} ⊇ {u1}: nothing new
  set.remove(u(1));
  set.remove(u(35));
  expect(cache.add(set, 0)).toBe(true); // {} ⊂ {u1}: it can do more, and replaces {u1}
  set.add(u(1));
  expect(cache.add(set, 0)).toBe(false); // dominated by {}
});

test('configuration cache: required sets that differ beyond the first two window words are told apart', () => {
  const a = new LinearizedSet(200, 0);
  const cache = new ConfigurationCache();
  for (const i of [1, 40, 70, 150]) a.add(i);
  expect(cache.add(a, 0)).toBe(true);
  a.remove(150);
  a.add(151);
  expect(cache.add(a, 0)).toBe(true);
  a.remove(151);
  a.add(150);
  expect(cache.add(a, 0)).toBe(false);
});

test('state table: equal states get one id, whether the same object, an equal copy, or a primitive', () => {
  const model = kvModel();
  const table = new StateTable((s: ReadonlyMap<string, string>) => model.hash(s), undefined);
  const s1 = new Map([['k', 'v']]);
  expect(table.idOf(s1)).toBe(table.idOf(new Map([['k', 'v']])));
  expect(table.idOf(s1)).not.toBe(table.idOf(new Map([['k', 'w']])));
  // A one-key state's string cannot be confused with another split of key and value.
  expect(model.hash(new Map([['a\u0000', 'b']]))).not.toBe(model.hash(new Map([['a', '\u0000b']])));
  expect(model.hash(new Map([['ab', 'c']]))).not.toBe(model.hash(new Map([['a', 'bc']])));
  const primitives = new StateTable<string | null>((s) => JSON.stringify(s), undefined);
  expect(primitives.idOf('x')).toBe(primitives.idOf('x'));
  expect(primitives.idOf(null)).not.toBe(primitives.idOf('null'));
});

test('state table: with an exact equality, states whose hashes collide keep distinct ids', () => {
  const table = new StateTable<{ n: number }>(() => 'same', (a, b) => a.n === b.n);
  const one = table.idOf({ n: 1 });
  expect(table.idOf({ n: 1 })).toBe(one);
  expect(table.idOf({ n: 2 })).not.toBe(one);
});

test('configuration cache: past every growth of its table and word pool, what it holds is still refused and covered', () => {
  for (const scratch of [undefined, new Scratch()]) {
    const rng = new SeededRng(21);
    const set = new LinearizedSet(300, 70, scratch);
    const cache = new ConfigurationCache(64, scratch);
    const configs: { members: number[]; sid: number }[] = [];
    for (let n = 0; n < 3000; n++) {
      // Required members 0 .. k-1 and a few more (a window of a few words), some unknown ones, a state.
      const k = rng.nextInt(250);
      const members = [...Array.from({ length: k }, (_, i) => i), ...Array.from({ length: rng.nextInt(4) }, () => k + rng.nextInt(50))];
      const unknowns = Array.from({ length: rng.nextInt(3) }, () => set.unknownBase + rng.nextInt(70));
      const all = [...new Set([...members, ...unknowns])];
      configs.push({ members: all, sid: rng.nextInt(5) });
    }
    const withSet = (members: readonly number[], f: () => boolean): boolean => {
      for (const m of members) set.add(m);
      const result = f();
      for (const m of members) set.remove(m);
      return result;
    };
    const first = configs.map(({ members, sid }) => withSet(members, () => cache.add(set, sid)));
    // Every configuration is refused the second time; at least the distinct ones were taken the first.
    expect(configs.map(({ members, sid }) => withSet(members, () => cache.add(set, sid)))).toEqual(configs.map(() => false));
    expect(first.filter((x) => x).length).toBeGreaterThan(2500);
    // More unknown members than a held configuration: covered. Fewer: new, and it replaces the held ones.
    const required = Array.from({ length: 100 }, (_, i) => i);
    const u = (j: number): number => set.unknownBase + j;
    expect(withSet([...required, u(3)], () => cache.add(set, 7))).toBe(true);
    expect(withSet([...required, u(3), u(69)], () => cache.add(set, 7))).toBe(false);
    expect(withSet(required, () => cache.add(set, 7))).toBe(true);
    expect(withSet([...required, u(5)], () => cache.add(set, 7))).toBe(false);
  }
});
