import { constants, write } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';

/**
 * How a {@link WalFile} is opened, which also says when its writes are durable:
 *
 * - `'read'`: read only.
 * - `'create'`: created empty (or truncated) for writing; its bytes are durable after
 *   {@link WalFile.datasync}, its name after {@link WalFileSystem.syncDir} of its directory.
 * - `'update'`: an existing file, read and written; writes are durable after `datasync`.
 * - `'log'`: an existing file written in place; every write is durable when it resolves
 *   (`O_DSYNC`: the write and its flush are one system call).
 */
export type WalFileMode = 'read' | 'create' | 'update' | 'log';

/** An open file of a {@link WalFileSystem}. */
export interface WalFile {
  /** Reads the whole file. */
  read(): Promise<Uint8Array>;
  /** Writes all of `data` at byte `position` (one positioned write). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Flushes the file's data and the metadata needed to read it back (fdatasync). */
  datasync(): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * The file operations `WalStorage` performs, and the only ones: a seam for tests that
 * model the disk (such as a power cut that loses every write not yet durable). Paths are the
 * storage directory joined with a file name. The default is {@link nodeWalFileSystem}.
 *
 * Durability is the POSIX contract: a write is durable once a `datasync` of its file (or, in
 * `'log'` mode, the write itself) has completed; a create, rename or unlink is durable once a
 * `syncDir` of the directory has completed. A failure rejects with an error carrying the
 * errno `code` (`unlink` of a missing file: `'ENOENT'`).
 */
export interface WalFileSystem {
  /** Creates `dir` and its parents if missing. */
  mkdir(dir: string): Promise<void>;
  /** The names in `dir`. */
  readdir(dir: string): Promise<string[]>;
  /** Opens `path` in `mode`. */
  open(path: string, mode: WalFileMode): Promise<WalFile>;
  /** Renames `from` to `to`, replacing `to` (atomic). */
  rename(from: string, to: string): Promise<void>;
  /** Removes `path`. */
  unlink(path: string): Promise<void>;
  /** fsyncs the directory `dir`, so that creates, renames and unlinks in it are durable. */
  syncDir(dir: string): Promise<void>;
}

const FLAGS: Record<WalFileMode, number> = {
  read: constants.O_RDONLY,
  create: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
  update: constants.O_RDWR,
  log: constants.O_RDWR | constants.O_DSYNC,
};

class NodeWalFile implements WalFile {
  readonly #fh: FileHandle;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  async read(): Promise<Uint8Array> {
    return this.#fh.readFile();
  }

  /** A `pwrite` straight on the descriptor: one trip to libuv's pool, no FileHandle promise machinery. */
  write(data: Uint8Array, position: number): Promise<void> {
    const fd = this.#fh.fd;
    return new Promise<void>((resolve, reject) => {
      writeFrom(fd, data, position, 0, resolve, reject);
    });
  }

  datasync(): Promise<void> {
    return this.#fh.datasync();
  }

  close(): Promise<void> {
    return this.#fh.close();
  }
}

/** Writes `data` from its byte `at` on, at `position` of `fd`, until all of it is written (one callback per write call, no continuation closure). */
function writeFrom(fd: number, data: Uint8Array, position: number, at: number, resolve: () => void, reject: (err: Error) => void): void {
  write(fd, data, at, data.length - at, position + at, (err, n) => {
    if (err !== null) reject(err);
    else if (at + n < data.length) writeFrom(fd, data, position, at + n, resolve, reject);
    else resolve();
  });
}

/** The real file system (node:fs), which `WalStorage` uses unless told otherwise. */
export const nodeWalFileSystem: WalFileSystem = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  readdir: (dir) => readdir(dir),
  open: async (path, mode) => new NodeWalFile(await open(path, FLAGS[mode], 0o644)),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDir(dir) {
    const fh = await open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/**
 * `fs` with every flush left out (`WalStorage`'s `noSync`, etcd's `--unsafe-no-fsync`): `'log'`
 * files are opened as `'update'` ones (no `O_DSYNC`), and `datasync` and `syncDir` do nothing.
 * Writes then reach the page cache only: a crash of the machine (not only of the process) can
 * lose any of them, acknowledged ones included.
 */
export function unsyncedWalFileSystem(fs: WalFileSystem): WalFileSystem {
  return {
    mkdir: (dir) => fs.mkdir(dir),
    readdir: (dir) => fs.readdir(dir),
    async open(path, mode) {
      const file = await fs.open(path, mode === 'log' ? 'update' : mode);
      return { read: () => file.read(), write: (data, position) => file.write(data, position), datasync: () => Promise.resolve(), close: () => file.close() };
    },
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    syncDir: () => Promise.resolve(),
  };
}
