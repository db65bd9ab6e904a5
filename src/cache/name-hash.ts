/**
 * A 128-bit FNV-1a hash of a string, as 32 hex digits, for naming cache files. Not a
 * cryptographic hash, on purpose: loading node:crypto costs a cache hit ~4 ms, and a name
 * only has to be unlikely to collide (the full key is checked inside the file).
 */
export function nameHash(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let hex = '';
  for (const seed of [0x811c9dc5, 0x01000193, 0x050c5d1f, 0x3b9ac9ff]) {
    let hash = seed;
    for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
    hex += (hash >>> 0).toString(16).padStart(8, '0');
  }
  return hex;
}
