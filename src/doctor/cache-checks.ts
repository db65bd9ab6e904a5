import { lstat } from 'node:fs/promises';
import type { ProviderConfig } from '../config/config.js';
import { fail, ok, skip, type CheckResult } from './check.js';

/** The token cache directory: ours alone (0700, owned by the running user), or not there yet. */
export async function cacheChecks(config: ProviderConfig): Promise<CheckResult[]> {
  if (!config.cache.enabled) return [skip('cache', 'the token cache is turned off (cache.enabled: false)')];
  const { directory } = config.cache;
  let info;
  try {
    info = await lstat(directory);
  } catch {
    return [ok('cache', `${directory} does not exist yet; the first pull creates it (0700)`)];
  }
  const uid = process.getuid?.();
  if (!info.isDirectory()) return [fail('cache', `${directory} is not a directory`, `remove it; the provider creates the directory`)];
  if (info.uid !== uid) return [fail('cache', `${directory} is owned by uid ${info.uid}, not by this user (uid ${uid}); the provider will not use it`, `chown ${uid} ${directory}`)];
  const mode = info.mode & 0o777;
  if (mode !== 0o700) return [fail('cache', `${directory} has mode ${mode.toString(8)}: tokens in it could be read by others`, `chmod 700 ${directory}`)];
  return [ok('cache', `${directory} is 0700 and owned by this user`)];
}
