import { ProviderError } from '../errors.js';
import { log } from '../log.js';
import { runDeadline, type Deadline } from './deadline.js';

export interface RetryOptions {
  /** First backoff; each retry doubles it, up to maxDelayMs, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all; the deadline usually ends retrying first. */
  maxAttempts: number;
  deadline: Deadline;
}

/** Less time than this left for a request is not worth another attempt. */
const MIN_ATTEMPT_MS = 250;

export const DEFAULT_RETRY: Omit<RetryOptions, 'deadline'> = { baseDelayMs: 200, maxDelayMs: 3000, maxAttempts: 10 };

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or the next
 * wait would pass the run's deadline. Only ProviderErrors marked retryable (throttling,
 * 5xx, resets, timeouts, unreadable bodies) are tried again.
 */
export async function withRetries<T>(what: string, attempt: () => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const { baseDelayMs, maxDelayMs, maxAttempts, deadline } = { ...DEFAULT_RETRY, deadline: runDeadline(), ...options };
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable) throw error;
      // Keep room for one more request after the wait: shorten the wait to fit, or report now.
      const budgetMs = deadline.remainingMs() - MIN_ATTEMPT_MS;
      const outOfTime = budgetMs < MIN_ATTEMPT_MS;
      const delayMs = Math.min(budgetMs, Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (tries - 1)));
      if (outOfTime || tries >= maxAttempts) {
        const why = outOfTime ? `at the ${deadline.totalMs / 1000} s deadline` : 'the most it tries';
        throw new ProviderError(`${error.message} (gave up on ${what} after ${tries} attempt${tries > 1 ? 's' : ''}, ${why})`, {
          hint: error.hint,
          requestId: error.requestId,
          retryable: true,
          cause: error,
        });
      }
      log.info(`${what} failed (${error.message}${error.requestId ? `, request id ${error.requestId}` : ''}); retrying in ${Math.round(delayMs)} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
