import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { lstat, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../log.js';
import { nameHash } from './name-hash.js';

/** Bumped when the stored shape changes: older files are then ignored and replaced. */
const FORMAT = 1;
const MAX_FILE_BYTES = 64 * 1024;
/** A lock older than this belongs to a run that cannot still be alive (runs end within 50 s). */
const STALE_LOCK_MS = 60_000;
const POLL_MS = 25;

interface Stored {
  format: number;
  key: string;
  value: unknown;
}

/**
 * A node-local store of small JSON documents (tokens, instance lookups), one file per key:
 * directory 0700 and files 0600 owned by the running user, written atomically (temp file,
 * fsync, rename). Anything unreadable, foreign or of another format reads as missing and is
 * replaced on the next write. File names are hashes: keys name identities, never secrets.
 */
export class FileCache {
  private constructor(readonly directory: string) {}

  /**
   * The cache in `directory`, created if needed; undefined (and a warning) when it cannot be
   * used safely. Opening and reading are synchronous: a cache hit then never starts the
   * thread pool that asynchronous file calls need.
   */
  static open(directory: string): FileCache | undefined {
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      const info = lstatSync(directory);
      if (!info.isDirectory()) throw new Error('it is not a directory');
      if (info.uid !== process.getuid?.()) throw new Error(`it is owned by uid ${info.uid}, not by this user`);
      if ((info.mode & 0o777) !== 0o700) chmodSync(directory, 0o700);
      return new FileCache(directory);
    } catch (error) {
      log.warn(`not using the token cache in ${directory}: ${(error as Error).message}`);
      return undefined;
    }
  }

  get(key: string): unknown {
    const path = this.pathOf(key);
    let fd;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile() || info.uid !== process.getuid?.() || (info.mode & 0o077) !== 0 || info.size > MAX_FILE_BYTES) {
        log.debug(`ignoring foreign cache file ${path}`);
        return undefined;
      }
      const stored = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Stored>;
      if (stored.format !== FORMAT || stored.key !== key) return undefined;
      return stored.value;
    } catch {
      log.debug(`ignoring unreadable cache file ${path}`);
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const path = this.pathOf(key);
    const temporary = `${path}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ format: FORMAT, key, value } satisfies Stored));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Waits for the lock of `key` (created with O_EXCL) until `maxWaitMs`, calling `poll`
   * between tries so a waiter can take what the holder wrote. Returns a release function,
   * the poll's result, or undefined when the wait ran out. A lock left by a dead run is
   * taken over.
   */
  async lock<T>(key: string, maxWaitMs: number, poll: () => T | undefined): Promise<{ release: () => Promise<void> } | { value: T } | undefined> {
    const path = `${this.pathOf(key)}.lock`;
    const until = Date.now() + maxWaitMs;
    for (;;) {
      try {
        const handle = await open(path, 'wx', 0o600);
        await handle.writeFile(`${process.pid} ${Date.now()}\n`);
        await handle.close();
        return { release: () => unlink(path).catch(() => undefined) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await isStale(path)) {
        log.info(`taking over the stale lock ${path}`);
        await unlink(path).catch(() => undefined);
        continue;
      }
      const value = poll();
      if (value !== undefined) return { value };
      if (Date.now() >= until) return undefined;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS + Math.random() * POLL_MS));
    }
  }

  private pathOf(key: string): string {
    return join(this.directory, `${nameHash(key)}.json`);
  }
}

/** A lock whose run is gone: its process no longer exists, or it is older than any run. */
async function isStale(path: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  const [pidText, sinceText] = text.trim().split(' ');
  const pid = Number(pidText);
  const since = Number(sinceText);
  // An empty lock file is one being written right now, unless it is old.
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isFinite(since)) {
    const info = await lstat(path).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > STALE_LOCK_MS;
  }
  if (Date.now() - since > STALE_LOCK_MS) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
