/**
 * The time a run may take in all. The kubelet kills the plugin after 60 s and treats that
 * as a failure without any message, so the provider gives up earlier and says why.
 */
export class Deadline {
  private readonly endsAtMs: number;

  constructor(
    readonly totalMs: number,
    /** The most one HTTP request may take (connect plus response). */
    readonly requestTimeoutMs: number = 5000,
    now: number = Date.now(),
  ) {
    this.endsAtMs = now + totalMs;
  }

  /** Timeout for the next request: the per-request limit, or what is left of the run. */
  requestBudgetMs(limitMs: number = this.requestTimeoutMs): number {
    return Math.max(1, Math.min(limitMs, this.remainingMs()));
  }

  remainingMs(now: number = Date.now()): number {
    return Math.max(0, this.endsAtMs - now);
  }
}

let current = new Deadline(20_000);

/** The deadline of this run; main sets it from the config before any I/O. */
export function runDeadline(): Deadline {
  return current;
}

export function startRunDeadline(totalMs: number, requestTimeoutMs: number): Deadline {
  current = new Deadline(totalMs, requestTimeoutMs);
  return current;
}
