/**
 * A disk that can lose power: an in-memory {@link WalFileSystem} that knows, for every file
 * and name, what is durable and what is not yet, by the POSIX contract:
 *
 * - a write is durable once a `datasync` of its file completes, or at once in `'log'` mode
 *   (`O_DSYNC`);
 * - a create, rename or unlink is durable once a `syncDir` of its directory completes.
 *
 * Every operation that changes the disk is a numbered step. At step `crashAt` the power goes
 * off: `image` becomes what a machine would find on reboot, and that operation and every later
 * one fail with `EIO`. What survives of the writes that were not durable yet (including the one
 * in flight) depends on `unsynced`: `'none'` drops all of them; `'some'` keeps a seeded random
 * subset of their 512-byte sectors (torn writes) and a seeded prefix of the pending name
 * changes (a journaling file system commits those in order). Everything is synchronous under
 * the promises, so a run is deterministic for a seed.
 */
import { basename, dirname } from 'node:path';
import type { SeededRng } from '../../src/raft/rng.js';
import type { WalFile, WalFileMode, WalFileSystem } from '../../src/storage/wal/wal-fs.js';

const SECTOR = 512;

interface PendingWrite {
  at: number;
  bytes: Buffer;
}

/** A file's bytes: what a reader sees now, and what survives a power loss. */
class Inode {
  data: Buffer;
  durable: Buffer;
  pending: PendingWrite[] = [];

  constructor(data: Buffer = Buffer.alloc(0), durable: Buffer = Buffer.alloc(0)) {
    this.data = data;
    this.durable = durable;
  }
}

type NameChange = { kind: 'set'; path: string; inode: Inode } | { kind: 'delete'; path: string } | { kind: 'rename'; from: string; to: string; inode: Inode };

/** What the crash interrupted. */
export interface InFlight {
  /** The operation. */
  op: 'write' | 'datasync' | 'create' | 'rename' | 'unlink' | 'syncDir';
  /** The file or directory it was on. */
  path: string;
  /** The file's mode, for writes. */
  mode?: WalFileMode;
}

/** How a {@link PowerLossFs} behaves. */
export interface PowerLossOptions {
  /** Lose power when the operation of this step (1-based) starts; never when undefined. */
  crashAt?: number | undefined;
  /** What survives of writes and name changes that were not durable yet. Default `'none'`. */
  unsynced?: 'none' | 'some';
  /** Seeds the choices of `unsynced: 'some'`. */
  rng?: SeededRng | undefined;
  /** A lying disk: flushes and O_DSYNC writes are acknowledged but make nothing durable. */
  ignoreFlush?: boolean;
}

function writeInto(buf: Buffer, at: number, bytes: Uint8Array): Buffer {
  const out = buf.length >= at + bytes.length ? buf : Buffer.concat([buf, Buffer.alloc(at + bytes.length - buf.length)]);
  out.set(bytes, at);
  return out;
}

function powerOff(): Error {
  return Object.assign(new Error('EIO: the power is off'), { code: 'EIO' });
}

function missing(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file, '${path}'`), { code: 'ENOENT' });
}

/** See the module comment. */
export class PowerLossFs implements WalFileSystem {
  /** Steps taken so far (operations that change the disk). */
  steps = 0;
  /** The disk as found after the power loss, once it happened. */
  image: PowerLossFs | undefined;
  /** The operation the power loss interrupted. */
  interrupted: InFlight | undefined;
  readonly #names = new Map<string, Inode>();
  readonly #durableNames = new Map<string, Inode>();
  #pendingNames: NameChange[] = [];
  readonly #dirs = new Set<string>();
  readonly #options: PowerLossOptions;

  constructor(options: PowerLossOptions = {}) {
    this.#options = options;
  }

  /** True once the power went off. */
  get off(): boolean {
    return this.image !== undefined;
  }

  /** Turns the power off now, between operations (nothing in flight); returns the image. */
  crashNow(): PowerLossFs {
    if (this.image === undefined) this.#crash(undefined);
    return this.image!;
  }

  /** Steps a disk-changing operation: throws once the power is off (and turns it off at `crashAt`). */
  #step(what: InFlight, apply: (interrupted: boolean) => void): void {
    if (this.image !== undefined) throw powerOff();
    this.steps++;
    if (this.steps === this.#options.crashAt) {
      this.#crash({ what, apply });
      throw powerOff();
    }
    apply(false);
  }

  /**
   * Builds the image a reboot finds. With `unsynced: 'some'` the operation in flight is
   * applied first as a change not yet durable, so that part of it may survive (a torn write).
   */
  #crash(inFlight: { what: InFlight; apply: (interrupted: boolean) => void } | undefined): void {
    const some = this.#options.unsynced === 'some';
    const rng = this.#options.rng;
    if (some && rng === undefined) throw new Error('unsynced: some needs an rng');
    if (inFlight !== undefined) {
      this.interrupted = inFlight.what;
      if (some) inFlight.apply(true); // happened, but not durably: 'some' may keep part of it
    }
    const names = new Map(this.#durableNames);
    if (some) {
      const keep = rng!.nextInt(this.#pendingNames.length + 1);
      for (const c of this.#pendingNames.slice(0, keep)) applyNameChange(names, c);
    }
    const img = new PowerLossFs();
    const copies = new Map<Inode, Inode>();
    for (const [path, inode] of names) {
      let copy = copies.get(inode);
      if (copy === undefined) {
        let bytes: Buffer = Buffer.from(inode.durable);
        if (some) {
          for (const w of inode.pending) {
            for (let s = 0; s < w.bytes.length; s += SECTOR) {
              if (rng!.nextInt(2) === 0) bytes = writeInto(bytes, w.at + s, w.bytes.subarray(s, Math.min(w.bytes.length, s + SECTOR)));
            }
          }
        }
        copy = new Inode(bytes, Buffer.from(bytes));
        copies.set(inode, copy);
      }
      img.#names.set(path, copy);
      img.#durableNames.set(path, copy);
    }
    for (const d of this.#dirs) img.#dirs.add(d);
    this.image = img;
  }

  #inode(path: string): Inode {
    const inode = this.#names.get(path);
    if (inode === undefined) throw missing(path);
    return inode;
  }

  async mkdir(dir: string): Promise<void> {
    await Promise.resolve();
    if (this.off) throw powerOff();
    for (let d = dir; d !== dirname(d); d = dirname(d)) this.#dirs.add(d);
  }

  async readdir(dir: string): Promise<string[]> {
    await Promise.resolve();
    if (this.off) throw powerOff();
    return [...this.#names.keys()].filter((p) => dirname(p) === dir).map((p) => basename(p));
  }

  async open(path: string, mode: WalFileMode): Promise<WalFile> {
    await Promise.resolve();
    if (this.off) throw powerOff();
    if (mode === 'create') {
      // O_TRUNC of an existing name is modelled as a new file under that name.
      this.#step({ op: 'create', path }, () => {
        const inode = new Inode();
        this.#names.set(path, inode);
        this.#pendingNames.push({ kind: 'set', path, inode });
      });
    }
    return new PowerLossFile(this, path, this.#inode(path), mode);
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    const inode = this.#inode(from);
    this.#step({ op: 'rename', path: to }, () => {
      const c: NameChange = { kind: 'rename', from, to, inode };
      applyNameChange(this.#names, c);
      this.#pendingNames.push(c);
    });
  }

  async unlink(path: string): Promise<void> {
    await Promise.resolve();
    this.#inode(path);
    this.#step({ op: 'unlink', path }, () => {
      this.#names.delete(path);
      this.#pendingNames.push({ kind: 'delete', path });
    });
  }

  async syncDir(dir: string): Promise<void> {
    await Promise.resolve();
    this.#step({ op: 'syncDir', path: dir }, (interrupted) => {
      if (interrupted || this.#options.ignoreFlush === true) return;
      const rest: NameChange[] = [];
      for (const c of this.#pendingNames) {
        if (dirname(c.kind === 'rename' ? c.to : c.path) === dir) applyNameChange(this.#durableNames, c);
        else rest.push(c);
      }
      this.#pendingNames = rest;
    });
  }

  /** Used by {@link PowerLossFile}: a write of `bytes` at `at`, durable at once in `'log'` mode. */
  write(path: string, inode: Inode, mode: WalFileMode, bytes: Uint8Array, at: number): void {
    this.#step({ op: 'write', path, mode }, (interrupted) => {
      const copy = Buffer.from(bytes);
      inode.data = writeInto(inode.data, at, copy);
      if (mode === 'log' && !interrupted && this.#options.ignoreFlush !== true) inode.durable = writeInto(inode.durable, at, copy);
      else inode.pending.push({ at, bytes: copy });
    });
  }

  /** Used by {@link PowerLossFile}: makes the file's bytes durable. */
  datasync(path: string, inode: Inode): void {
    this.#step({ op: 'datasync', path }, (interrupted) => {
      if (interrupted || this.#options.ignoreFlush === true) return;
      inode.durable = Buffer.from(inode.data);
      inode.pending = [];
    });
  }
}

function applyNameChange(names: Map<string, Inode>, c: NameChange): void {
  if (c.kind === 'set') names.set(c.path, c.inode);
  else if (c.kind === 'delete') names.delete(c.path);
  else {
    names.delete(c.from);
    names.set(c.to, c.inode);
  }
}

class PowerLossFile implements WalFile {
  readonly #fs: PowerLossFs;
  readonly #path: string;
  readonly #inode: Inode;
  readonly #mode: WalFileMode;

  constructor(fs: PowerLossFs, path: string, inode: Inode, mode: WalFileMode) {
    this.#fs = fs;
    this.#path = path;
    this.#inode = inode;
    this.#mode = mode;
  }

  async read(): Promise<Uint8Array> {
    await Promise.resolve();
    if (this.#fs.off) throw powerOff();
    return Buffer.from(this.#inode.data);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    await Promise.resolve();
    if (this.#mode === 'read') throw Object.assign(new Error('EBADF: opened read-only'), { code: 'EBADF' });
    this.#fs.write(this.#path, this.#inode, this.#mode, data, position);
  }

  async datasync(): Promise<void> {
    await Promise.resolve();
    this.#fs.datasync(this.#path, this.#inode);
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }
}
