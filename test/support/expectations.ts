// Assertions shared by the end-to-end tests of the built binary.
import { expect } from 'vitest';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The stderr lines of a run, without the trailing newline. */
export function stderrLinesOf(run: Run): string[] {
  const text = run.stderr.trimEnd();
  return text === '' ? [] : text.split('\n');
}

/** A failure the way the kubelet should see it: exit 1, nothing on stdout, one error line, no stack. Returns the line. */
export function expectOneLineFailure(run: Run, message: RegExp): string {
  expect(run.stdout).toBe('');
  expect(run.code).toBe(1);
  const lines = stderrLinesOf(run);
  expect(lines, run.stderr).toHaveLength(1);
  const line = lines[0] ?? '';
  expect(line).toMatch(/^aliyun-acr-credential-provider: error: /);
  expect(line).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return line;
}

/**
 * A cacheDuration of `windowMinutes` (the token's life less the margin) after the fleet
 * spread (up to 5 % less) and the seconds between the token's issue and the answer.
 */
export function expectCacheWindow(cacheDurationMs: number | undefined, windowMinutes: number): void {
  expect(cacheDurationMs).toBeLessThanOrEqual(windowMinutes * 60_000);
  expect(cacheDurationMs).toBeGreaterThan((windowMinutes * 0.95 - 0.5) * 60_000);
}
