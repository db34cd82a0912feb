import { describe, expect, test } from 'vitest';
import { JointConfig, MajorityConfig } from '../../../src/raft/quorum/index.js';

describe('MajorityConfig and JointConfig text', () => {
  test('toString sorts ids', () => {
    expect(new MajorityConfig([3, 1, 2]).toString()).toBe('(1 2 3)');
    expect(new MajorityConfig().toString()).toBe('()');
  });

  test('slice returns a sorted copy the caller may change', () => {
    const c = new MajorityConfig([5, 1, 3]);
    const s = c.slice();
    expect(s).toEqual([1, 3, 5]);
    s.push(9);
    expect(c.slice()).toEqual([1, 3, 5]);
  });

  test('size and has follow direct changes to ids', () => {
    const c = new MajorityConfig([1, 1, 2]);
    expect(c.size).toBe(2);
    c.ids.add(3);
    expect(c.has(3)).toBe(true);
    expect(c.toString()).toBe('(1 2 3)');
    c.ids.delete(1);
    expect(c.toString()).toBe('(2 3)');
  });

  test('JointConfig.toString shows both halves only when joint', () => {
    expect(new JointConfig(new MajorityConfig([1, 2, 3])).toString()).toBe('(1 2 3)');
    expect(new JointConfig(new MajorityConfig([3, 2, 1]), new MajorityConfig([4, 2, 1])).toString()).toBe(
      '(1 2 3)&&(1 2 4)',
    );
  });

  test('JointConfig ids is the union and isJoint follows outgoing', () => {
    const j = new JointConfig(new MajorityConfig([1, 2]), new MajorityConfig([2, 3]));
    expect([...j.ids()].sort()).toEqual([1, 2, 3]);
    expect(j.isJoint()).toBe(true);
    j.outgoing.ids.clear();
    expect(j.isJoint()).toBe(false);
  });

  test('JointConfig.clone is deep', () => {
    const j = new JointConfig(new MajorityConfig([1, 2]), new MajorityConfig([2, 3]));
    const c = j.clone();
    c.incoming.ids.add(9);
    c.outgoing.ids.delete(3);
    expect(j.toString()).toBe('(1 2)&&(2 3)');
    expect(c.toString()).toBe('(1 2 9)&&(2)');
  });

  test('describe draws a bar per voter, longer for larger indexes', () => {
    const c = new MajorityConfig([1, 2, 3]);
    const acks = new Map([
      [1, 100],
      [2, 101],
      [3, 99],
    ]);
    expect(c.describe((id) => acks.get(id))).toBe(
      ['       idx', 'x>     100    (id=1)', 'xx>    101    (id=2)', '>       99    (id=3)', ''].join('\n'),
    );
  });

  test('describe marks unknown indexes with ? and gives equal indexes equal bars', () => {
    const c = new MajorityConfig([1, 2, 3, 4]);
    const acks = new Map([
      [1, 5],
      [2, 7],
      [3, 7],
    ]);
    expect(c.describe((id) => acks.get(id))).toBe(
      [
        '        idx',
        'x>        5    (id=1)',
        'xx>       7    (id=2)',
        'xx>       7    (id=3)',
        '?         0    (id=4)',
        '',
      ].join('\n'),
    );
  });

  test('describe of an empty config', () => {
    expect(new MajorityConfig().describe(() => 0)).toBe('<empty majority quorum>');
  });

  test('JointConfig.describe covers the union of ids', () => {
    const j = new JointConfig(new MajorityConfig([1]), new MajorityConfig([2]));
    expect(j.describe((id) => id)).toBe(['      idx', '>       1    (id=1)', 'x>      2    (id=2)', ''].join('\n'));
  });
});
