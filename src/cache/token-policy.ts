/**
 * When a cached token is served, refreshed or handed out stale, and the random spread that
 * keeps a fleet of nodes from coming back together. Pure: the fleet simulation uses the same
 * rules as the provider.
 */

/**
 * Instance lookups are refreshed daily. Which instance serves a domain changes only when an
 * instance or a custom domain is recreated (a new domain is a new lookup anyway), and the
 * fleet simulation showed hourly lookups costing more ListInstance calls than tokens.
 */
export const RESOLUTION_TTL_MS = 24 * 60 * 60_000;
/** Nodes refresh up to this share of a window earlier than the rule says. */
export const SPREAD = 0.1;
/** A stale token is still served when a refresh fails only while it has this long left. */
export const STALE_MIN_REMAINING_MS = 2 * 60_000;
/** cacheDuration of a stale token: the kubelet asks again soon. */
export const STALE_CACHE_SECONDS = 60;

/**
 * When a token fetched at `now` stops being served from the node cache: once less than
 * twice the expiring threshold of its life is left (so the kubelet is always told at least
 * the threshold), less a random share of that window.
 */
export function tokenRefreshAtMs(expiresAtMs: number, now: number, expiringThresholdMs: number, random: () => number = Math.random): number {
  const window = Math.max(0, expiresAtMs - 2 * expiringThresholdMs - now);
  return now + window * (1 - SPREAD * random());
}

/** When an instance lookup made at `now` is made again. */
export function resolutionRefreshAtMs(now: number, random: () => number = Math.random): number {
  return now + RESOLUTION_TTL_MS * (1 - SPREAD * random());
}

/** The cacheDuration handed to the kubelet, less up to half the spread, so kubelets do not return together. */
export function spreadCacheDuration(seconds: number, random: () => number = Math.random): number {
  return Math.floor(seconds * (1 - (SPREAD / 2) * random()));
}
