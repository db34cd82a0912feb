/**
 * The demo's terminal view. On a TTY, the timeline scrolls and a status block under it (each
 * member's role, term, commit and applied index, the KV watch and the throughput) is redrawn in place ten
 * times a second. Elsewhere (a pipe, CI), only the timeline is printed, one plain line per event.
 */
import { stripVTControlCharacters } from 'node:util';
import type { DemoCluster } from './demo-cluster.js';

const bold = (s: string): string => `\x1b[1m${s}\x1b[22m`;
const dim = (s: string): string => `\x1b[2m${s}\x1b[22m`;
const colour: Record<string, (s: string) => string> = {
  leader: (s) => `\x1b[32m${s}\x1b[39m`,
  candidate: (s) => `\x1b[33m${s}\x1b[39m`,
  'pre-candidate': (s) => `\x1b[33m${s}\x1b[39m`,
  stopped: (s) => `\x1b[31m${s}\x1b[39m`,
};

/** The status block's lines (plain text, or with colours for a terminal). */
export function statusLines(c: DemoCluster, colours: boolean): string[] {
  const paint = (role: string, s: string): string => (colours ? (colour[role] ?? ((x: string) => x))(s) : s);
  const lines = [`  ${'member'.padEnd(8)}${'role'.padEnd(15)}${'term'.padStart(5)}${'commit'.padStart(9)}${'applied'.padStart(9)}${'snapshot'.padStart(10)}  pid`];
  for (const v of c.views.values()) {
    const role = v.isolated ? `${v.role} (cut off)` : v.role;
    const row = `  ${String(v.id).padEnd(8)}${role.padEnd(15)}${String(v.term).padStart(5)}${String(v.commit).padStart(9)}${String(v.applied).padStart(9)}${String(v.snapshot || '-').padStart(10)}  ${v.pid ?? '-'}`;
    lines.push(paint(v.alive ? v.role : 'stopped', row));
  }
  const peak = Math.max(0, ...c.rates.map((r) => r.rate));
  const bar = '█'.repeat(Math.round((c.rate() / Math.max(peak, 1)) * 30));
  if (c.watch !== undefined) lines.push(`  ${c.watch.summary()}`);
  lines.push(`  writes: ${c.acked.size} acknowledged, ${c.rate()}/s now (peak ${peak}/s), ${c.inFlight} in flight  ${bar}`);
  return colours ? [dim(lines[0]!), ...lines.slice(1, -1), bold(lines.at(-1)!)] : lines;
}

/** Prints the timeline, and on a TTY keeps the status block redrawn under it. */
export class Screen {
  private readonly c: DemoCluster;
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private drawn = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(c: DemoCluster, out: NodeJS.WriteStream) {
    this.c = c;
    this.out = out;
    this.tty = out.isTTY;
    c.onLog = (line) => this.print(line);
    if (this.tty) {
      this.out.write('\x1b[?25l'); // hide the cursor while redrawing
      this.timer = setInterval(() => void this.refresh(), 100);
    }
  }

  /** Prints a timeline line (above the status block on a TTY). */
  print(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    this.out.write(`${this.erase()}${line}\n${this.block()}`);
  }

  /** Stops redrawing; on a TTY leaves the last status block on screen (or prints it once with `final`). */
  stop(final = false): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.out.write(`${this.erase()}${this.block()}\x1b[?25h`);
    else if (final) this.out.write(`${statusLines(this.c, false).join('\n')}\n`);
    this.drawn = 0;
    this.c.onLog = undefined;
  }

  private async refresh(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.c.poll();
      if (this.timer !== undefined) this.out.write(`${this.erase()}${this.block()}`);
    } finally {
      this.polling = false;
    }
  }

  private erase(): string {
    return this.drawn === 0 ? '' : `\x1b[${this.drawn}A\x1b[0J`;
  }

  private block(): string {
    const lines = statusLines(this.c, true);
    // A line wider than the terminal takes several rows: count them, or the next redraw erases too few.
    const columns = this.out.columns > 0 ? this.out.columns : 80;
    this.drawn = lines.reduce((rows, l) => rows + Math.max(1, Math.ceil(stripVTControlCharacters(l).length / columns)), 0);
    return `${lines.join('\n')}\n`;
  }
}
