import { ProviderError } from '../errors.js';
import { log } from '../log.js';
import { runDeadline } from '../resilience/deadline.js';
import type { FileCache } from './file-cache.js';

export interface CachePolicy<T> {
  /** Whether a stored value has the right shape (stored files are not trusted). */
  isValue(value: unknown): value is T;
  /** Good enough to serve without asking the cloud. */
  isFresh(value: T, now: number): boolean;
  /** Still usable when a refresh fails (stale while error). */
  isUsable(value: T, now: number): boolean;
}

export type Cached<T> = { value: T; source: 'cache' | 'cloud' } | { value: T; source: 'stale'; error: ProviderError };

/**
 * Serves a value from the cache or refreshes it, with one refresh at a time per key across
 * concurrent runs: the others wait for the lock and take what the holder wrote. When the
 * refresh fails and the stored value is still usable, that value is served as `stale`.
 * Without a cache (disabled or unusable) every call refreshes.
 */
export async function cached<T>(cache: FileCache | undefined, key: string, policy: CachePolicy<T>, refresh: () => Promise<T>): Promise<Cached<T>> {
  if (!cache) return { value: await refresh(), source: 'cloud' };
  const read = (): T | undefined => {
    const value = cache.get(key);
    return policy.isValue(value) ? value : undefined;
  };
  const fresh = (): T | undefined => {
    const value = read();
    return value !== undefined && policy.isFresh(value, Date.now()) ? value : undefined;
  };

  const hit = fresh();
  if (hit !== undefined) return { value: hit, source: 'cache' };

  // Wait at most until a few seconds before the deadline: then refresh without the lock.
  const lock = await cache.lock(key, Math.max(0, runDeadline().remainingMs() - 5000), fresh);
  if (lock && 'value' in lock) return { value: lock.value, source: 'cache' };
  if (!lock) log.warn('waited too long for another run to refresh the cached token; refreshing without the lock');
  try {
    const again = fresh();
    if (again !== undefined) return { value: again, source: 'cache' };
    try {
      const value = await refresh();
      await cache.put(key, value).catch((error: Error) => log.warn(`could not write the token cache: ${error.message}`));
      return { value, source: 'cloud' };
    } catch (error) {
      const stored = read();
      if (error instanceof ProviderError && stored !== undefined && policy.isUsable(stored, Date.now())) return { value: stored, source: 'stale', error };
      throw error;
    }
  } finally {
    await lock?.release();
  }
}
