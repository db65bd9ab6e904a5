import { describe, expect, it } from 'vitest';
import { chooseCacheDuration } from './cache-duration.js';

const MIN = 60_000;
const now = Date.UTC(2026, 10, 25, 8, 0, 0);

describe('chooseCacheDuration', () => {
  it.each([
    ['a fresh 1 h token, default 15 m margin', 60 * MIN, 15 * MIN, 45 * 60],
    ['exactly twice the margin', 30 * MIN, 15 * MIN, 15 * 60],
    ['less than twice the margin: half of what remains', 20 * MIN, 15 * MIN, 10 * 60],
    ['less than the margin: half of what remains', 10 * MIN, 15 * MIN, 5 * 60],
    ['under two minutes: not cached', 1.9 * MIN, 15 * MIN, 0],
    ['already expired', -MIN, 15 * MIN, 0],
    ['expiring now', 0, 15 * MIN, 0],
    ['a zero margin uses the whole lifetime', 60 * MIN, 0, 60 * 60],
    ['fractions of a second round down', 60 * MIN + 999, 15 * MIN, 45 * 60],
  ])('%s', (_name, remainingMs, thresholdMs, seconds) => {
    expect(chooseCacheDuration(now + remainingMs, now, thresholdMs)).toBe(seconds);
  });

  it('never reaches the expiry and grows with the remaining lifetime', () => {
    let previous = 0;
    for (let remaining = 0; remaining <= 12 * 60 * MIN; remaining += 7_001) {
      const seconds = chooseCacheDuration(now + remaining, now, 15 * MIN);
      expect(seconds * 1000).toBeLessThan(Math.max(remaining, 1));
      expect(seconds).toBeGreaterThanOrEqual(previous);
      previous = seconds;
    }
  });
});
