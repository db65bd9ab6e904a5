/** One line of the doctor's report. */
export interface CheckResult {
  /** What was checked: `metadata`, `instance cri-… token`, `kubelet config`. */
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  message: string;
  /** What to change, for warn and fail. */
  hint?: string;
}

export const ok = (check: string, message: string): CheckResult => ({ check, status: 'ok', message });
export const warn = (check: string, message: string, hint?: string): CheckResult => ({ check, status: 'warn', message, hint });
export const fail = (check: string, message: string, hint?: string): CheckResult => ({ check, status: 'fail', message, hint });
export const skip = (check: string, message: string): CheckResult => ({ check, status: 'skip', message });

/** A failed step as a result: a ProviderError brings its own hint. */
export function failFrom(check: string, error: unknown): CheckResult {
  const hint = (error as { hint?: string }).hint;
  return fail(check, (error as Error).message, hint);
}
