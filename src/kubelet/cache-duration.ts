/** Below this the kubelet is told not to cache at all: the next pull asks again. */
export const MIN_CACHE_SECONDS = 60;

/**
 * How long the kubelet may keep a credential, in whole seconds.
 *
 * The kubelet stops using it `expiringThresholdMs` before it expires (ACK's
 * aliyun-acr-credential-helper refreshes with the same margin), so a pull that starts at
 * the end of the window still holds a live token. A credential with less than twice the
 * threshold left (a short STS session) is cached for half of what remains, which keeps
 * the rule continuous; under a minute, nothing is cached. Never past the expiry, never
 * negative.
 */
export function chooseCacheDuration(expiresAtMs: number, nowMs: number, expiringThresholdMs: number): number {
  const remainingMs = expiresAtMs - nowMs;
  if (!(remainingMs > 0)) return 0;
  const windowMs = remainingMs >= 2 * expiringThresholdMs ? remainingMs - expiringThresholdMs : remainingMs / 2;
  const seconds = Math.floor(windowMs / 1000);
  return seconds < MIN_CACHE_SECONDS ? 0 : seconds;
}
