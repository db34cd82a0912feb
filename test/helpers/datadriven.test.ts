import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { parseCommandLine, parseDataDriven, runDataDriven } from './datadriven.js';

const saved = process.env['REWRITE'];
afterEach(() => {
  if (saved === undefined) delete process.env['REWRITE'];
  else process.env['REWRITE'] = saved;
});

test('command line: positional, key=value and key=(list) arguments', () => {
  expect(parseCommandLine('add-nodes 3 voters=(1, 2,3) index=2')).toEqual({
    cmd: 'add-nodes',
    args: [
      { key: '3', vals: [] },
      { key: 'voters', vals: ['1', '2', '3'] },
      { key: 'index', vals: ['2'] },
    ],
  });
});

test('stanzas: input lines, comments, single and double separators', () => {
  const text = ['# c', 'a 1', 'in1', '----', 'out', '', 'b', '----', '----', 'x', '', 'y', '----', '----', '', 'c', '----', ''].join('\n');
  const ds = parseDataDriven('f', text);
  expect(ds.map((d) => [d.cmd, d.line, d.input, d.expected])).toEqual([
    ['a', 2, 'in1', 'out'],
    ['b', 7, '', 'x\n\ny'],
    ['c', 16, '', ''],
  ]);
});

test('rewrite replaces outputs in place and keeps comments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-'));
  const path = join(dir, 't.txt');
  writeFileSync(path, '# keep\na\n----\nold\n\nb\n----\n----\nold\n\nold\n----\n----\n');
  process.env['REWRITE'] = '1';
  const outs: Record<string, string> = { a: 'one\n\ntwo', b: 'three' };
  runDataDriven(path, (d) => outs[d.cmd]!, () => undefined);
  expect(readFileSync(path, 'utf8')).toBe('# keep\na\n----\n----\none\n\ntwo\n----\n----\n\nb\n----\nthree\n');
  delete process.env['REWRITE'];
  const seen: string[] = [];
  runDataDriven(path, (d) => outs[d.cmd]!, (actual, expected, where) => {
    expect(actual).toBe(expected);
    seen.push(where);
  });
  expect(seen).toEqual([`${path}:2: a`, `${path}:11: b`]);
});
