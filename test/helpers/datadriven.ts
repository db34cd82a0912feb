import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A tiny datadriven test format, in the spirit of cockroachdb/datadriven.
 *
 * A file is a sequence of stanzas. Lines starting with `#` and blank lines between stanzas
 * are comments and are kept verbatim on rewrite. A stanza is:
 *
 * ```
 * command pos1 key=val key=(1,2,3)
 * optional input line
 * ----
 * expected output
 * (ends at the first blank line or the end of the file)
 * ```
 *
 * When the expected output itself contains blank lines, the double-separator form is used
 * (and written by rewrite automatically):
 *
 * ```
 * command
 * ----
 * ----
 * output
 *
 * still output
 * ----
 * ----
 * ```
 *
 * An empty expected output is written as a bare `----` line followed by a blank line.
 */

/** One `key=value` or `key=(v1,v2)` argument, or a positional argument (`vals` empty). */
export interface CmdArg {
  /** The key, or the positional argument itself. */
  key: string;
  /** The values; empty for a positional argument. */
  vals: string[];
}

/** One stanza of a datadriven file. */
export interface TestData {
  /** The file the stanza came from. */
  file: string;
  /** The 1-based line of the command. */
  line: number;
  /** The command name. */
  cmd: string;
  /** The arguments after the command. */
  args: CmdArg[];
  /** The input lines between the command and `----`, joined with `\n`. */
  input: string;
  /** The expected output, without a trailing newline. */
  expected: string;
  /** The index (0-based) of the first line after `----` (or after `----`/`----`). */
  outStart: number;
  /** The index (0-based) of the first line after the output region (exclusive). */
  outEnd: number;
}

/** Splits a command line into its name and arguments; `(a,b)` groups values and may contain spaces. */
export function parseCommandLine(line: string): { cmd: string; args: CmdArg[] } {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line.trim()) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur !== '') tokens.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur !== '') tokens.push(cur);
  const [cmd = '', ...rest] = tokens;
  const args = rest.map((t): CmdArg => {
    const eq = t.indexOf('=');
    if (eq < 0) return { key: t, vals: [] };
    const key = t.slice(0, eq);
    let v = t.slice(eq + 1);
    if (v.startsWith('(') && v.endsWith(')')) {
      v = v.slice(1, -1);
      return { key, vals: v.trim() === '' ? [] : v.split(',').map((s) => s.trim()) };
    }
    return { key, vals: [v] };
  });
  return { cmd, args };
}

/** Parses a datadriven file's text. */
export function parseDataDriven(file: string, text: string): TestData[] {
  const lines = text.split('\n');
  const out: TestData[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const cmdLine = i;
    const { cmd, args } = parseCommandLine(l);
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (lines[i]!.trim() === '') throw new Error(`${file}:${cmdLine + 1}: stanza "${l}" has no ---- separator`);
      input.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`${file}:${cmdLine + 1}: stanza "${l}" has no ---- separator`);
    i++; // past ----
    const expected: string[] = [];
    let outStart = i;
    let outEnd: number;
    if (lines[i] === '----') {
      // Double-separator form: output runs until a `----` `----` pair.
      i++;
      outStart = i - 1;
      for (;;) {
        if (i >= lines.length) throw new Error(`${file}:${cmdLine + 1}: unterminated ----/---- output`);
        if (lines[i] === '----' && lines[i + 1] === '----') break;
        expected.push(lines[i]!);
        i++;
      }
      i += 2;
      outEnd = i;
    } else {
      while (i < lines.length && lines[i]!.trim() !== '') {
        expected.push(lines[i]!);
        i++;
      }
      outEnd = i;
    }
    out.push({ file, line: cmdLine + 1, cmd, args, input: input.join('\n'), expected: expected.join('\n'), outStart, outEnd });
  }
  return out;
}

/** Renders output for a file: the double-separator form when it contains a blank line. */
function renderOutput(actual: string): string[] {
  const body = actual === '' ? [] : actual.split('\n');
  if (body.some((l) => l.trim() === '')) return ['----', ...body, '----', '----'];
  return body;
}

/** Whether `REWRITE=1` is set: expected outputs are regenerated instead of compared. */
export function rewriteRequested(): boolean {
  const v = process.env['REWRITE'];
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/**
 * Runs every stanza of a datadriven file through `handle`, in order. In compare mode,
 * `check(actual, expected, where)` is called per stanza (where is `file:line: command`);
 * with `REWRITE=1` the file is rewritten in place with the actual outputs instead.
 */
export function runDataDriven(
  path: string,
  handle: (d: TestData) => string,
  check: (actual: string, expected: string, where: string) => void,
): void {
  const text = readFileSync(path, 'utf8');
  const stanzas = parseDataDriven(path, text);
  const rewrite = rewriteRequested();
  const actuals: string[] = [];
  for (const d of stanzas) {
    let actual = handle(d).replace(/\n+$/, '');
    // Trailing whitespace would not survive editors; strip it so files stay stable.
    actual = actual
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n');
    actuals.push(actual);
    const firstLine = text.split('\n')[d.line - 1] ?? d.cmd;
    if (!rewrite) check(actual, d.expected, `${path}:${d.line}: ${firstLine}`);
  }
  if (!rewrite) return;
  const lines = text.split('\n');
  const rebuilt: string[] = [];
  let pos = 0;
  stanzas.forEach((d, k) => {
    rebuilt.push(...lines.slice(pos, d.outStart));
    rebuilt.push(...renderOutput(actuals[k]!));
    pos = d.outEnd;
  });
  rebuilt.push(...lines.slice(pos));
  let next = rebuilt.join('\n');
  if (!next.endsWith('\n')) next += '\n';
  if (next !== text) writeFileSync(path, next);
}
