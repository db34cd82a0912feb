import { expect, test } from 'vitest';
import { JsonValues } from '../../src/etcd/json-values.js';
import { SeededRng } from '../../src/raft/rng.js';

// The JSON gateway's streaming calls read a body of consecutive JSON objects as it arrives:
// objects must come out whole and in order however the body is cut into chunks, with braces,
// brackets, quotes and backslashes inside strings.

const TRICKY = ['}', '{', ']', '[', '"', '\\', '\\"}', 'é∑😀', ' \n\t', ''];

test('objects come out whole and in order, however the body is cut (400 seeded bodies)', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const rng = new SeededRng(seed);
    const objects = Array.from({ length: 1 + rng.nextInt(6) }, (_, i) => ({
      i,
      s: Array.from({ length: rng.nextInt(4) }, () => TRICKY[rng.nextInt(TRICKY.length)]!).join(''),
      nested: { a: [1, { b: TRICKY[rng.nextInt(TRICKY.length)]! }], c: null },
    }));
    const body = objects.map((o) => JSON.stringify(o)).join(['', ' ', '\n', '\r\n\t '][rng.nextInt(4)]);
    const values = new JsonValues(1 << 20);
    const got: unknown[] = [];
    for (let at = 0; at < body.length; ) {
      const n = 1 + rng.nextInt(12);
      const { values: done, error } = values.feed(body.slice(at, at + n));
      expect(error, `seed ${String(seed)}`).toBeUndefined();
      got.push(...done);
      at += n;
    }
    values.end();
    expect(got, `seed ${String(seed)}`).toEqual(objects);
  }
});

test('what is not a sequence of objects gets Go decoder messages; a cut value is an unexpected EOF; an oversized one is refused', () => {
  expect(new JsonValues(100).feed('{"a":1} x').error?.message).toBe("invalid character 'x' looking for beginning of value");
  expect(new JsonValues(100).feed('[1]').error?.message).toBe('json: cannot unmarshal array into Go value of type map[string]json.RawMessage');
  expect(new JsonValues(100).feed('7').error?.message).toBe('json: cannot unmarshal number into Go value of type map[string]json.RawMessage');
  const good = new JsonValues(100).feed('{"a":1} "s"');
  expect(good.values).toEqual([{ a: 1 }]);
  expect(good.error?.message).toMatch(/cannot unmarshal string/);
  const cut = new JsonValues(100);
  expect(cut.feed('{"a":"}').values).toEqual([]);
  expect(() => cut.end()).toThrow('unexpected EOF');
  expect(new JsonValues(10).feed(`{"a":"${'x'.repeat(20)}`).error?.message).toMatch(/longer than 10/);
  expect(new JsonValues(100).feed('{"a":}').error).toBeDefined();
});
