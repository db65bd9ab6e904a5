/** Signature nonces seen recently, to refuse replayed requests. */

/** Nonces only need to be remembered as long as their timestamp is acceptable (±15 min). */
const REMEMBER_MS = 31 * 60 * 1000;

export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** Records the nonce; false if this AccessKey already used it. */
  use(accessKeyId: string, nonce: string, nowMs: number): boolean {
    for (const [key, forgetAt] of this.seen) {
      if (forgetAt > nowMs) break;
      this.seen.delete(key);
    }
    const key = `${accessKeyId}\n${nonce}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs + REMEMBER_MS);
    return true;
  }
}
