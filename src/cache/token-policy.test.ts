import { describe, expect, it } from 'vitest';
import { resolutionRefreshAtMs, RESOLUTION_TTL_MS, spreadCacheDuration, tokenRefreshAtMs } from './token-policy.js';

const MIN = 60_000;
const now = Date.UTC(2026, 10, 25, 8, 0, 0);

describe('tokenRefreshAtMs', () => {
  it.each([
    ['a 1 h token with a 15 m margin is served for 30 m', 60 * MIN, 15 * MIN, 0, now + 30 * MIN],
    ['the spread brings it forward by up to 10 % of that window', 60 * MIN, 15 * MIN, 1, now + 27 * MIN],
    ['a token with less than twice the margin left is refreshed at once', 25 * MIN, 15 * MIN, 0, now],
    ['an expired token too', -MIN, 15 * MIN, 0.5, now],
  ])('%s', (_name, remaining, threshold, random, expected) => {
    expect(tokenRefreshAtMs(now + remaining, now, threshold, () => random)).toBe(expected);
  });
});

describe('spread', () => {
  it('reduces cacheDuration by at most 5 %, never below zero', () => {
    expect(spreadCacheDuration(2700, () => 0)).toBe(2700);
    expect(spreadCacheDuration(2700, () => 1)).toBe(2565);
    expect(spreadCacheDuration(0, () => 1)).toBe(0);
  });

  it('refreshes instance lookups within the last 10 % before the hour', () => {
    expect(resolutionRefreshAtMs(now, () => 0)).toBe(now + RESOLUTION_TTL_MS);
    expect(resolutionRefreshAtMs(now, () => 1)).toBe(now + 0.9 * RESOLUTION_TTL_MS);
  });
});
