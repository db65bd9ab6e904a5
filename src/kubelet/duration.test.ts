import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './rules.js';
import { formatGoDuration, parseDuration } from './duration.js';

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [59.9, '59s'],
    [60, '1m0s'],
    [2700, '45m0s'],
    [3600, '1h0m0s'],
    [3661, '1h1m1s'],
    [43200, '12h0m0s'],
  ])('%s s → %s, which Go parses back to the same value', (seconds, text) => {
    expect(formatGoDuration(seconds)).toBe(text);
    expect(parseGoDuration(text)).toBe(Math.max(0, Math.floor(seconds)) * 1000);
  });
});

describe('parseDuration', () => {
  it.each([
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['0', 0],
    ['1.5h', 5_400_000],
    ['500ms', 500],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '15', '15min', '1d', 'PT5M', '-5m', '5 m', 'm'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
