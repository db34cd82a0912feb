/**
 * `etcdctl snapshot status -w table`'s table, for the demo to print a backup's status the way an
 * operator sees it: the hash in hex, the revision, the total keys and the size in SI units
 * (go-humanize's `Bytes`), in tablewriter's layout (headers centred, cells right-aligned).
 */
import type { SnapshotStatus } from 'raftkit/kv';

/** A byte count as go-humanize's `Bytes` writes it: `8.2 kB`, `1.3 MB`, `42 MB`. */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  if (val < 10) return `${val.toFixed(1)} ${units[e]}`;
  // Go's %.0f rounds a tie (20.5) to even, where toFixed rounds it up.
  const whole = Math.floor(val);
  return `${val - whole === 0.5 && whole % 2 === 0 ? whole : Math.round(val)} ${units[e]}`;
}

/** The lines of the table. */
export function snapshotStatusTable(s: SnapshotStatus): string[] {
  const head = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
  const row = [s.hash.toString(16), String(s.revision), String(s.totalKey), humanBytes(s.totalSize)];
  const widths = head.map((h, i) => Math.max(h.length, row[i]!.length));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const centre = (t: string, w: number): string => {
    const left = Math.floor((w - t.length) / 2);
    return `${' '.repeat(left)}${t}${' '.repeat(w - t.length - left)}`;
  };
  return [rule, `| ${head.map((h, i) => centre(h, widths[i]!)).join(' | ')} |`, rule, `| ${row.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`, rule];
}
