/**
 * An expected failure: something the user (or the cloud) can be told about in one line.
 * The message says what failed; `hint` says what to change. Anything that is not a
 * ProviderError is a bug and is reported as an internal error.
 */
export class ProviderError extends Error {
  readonly hint: string | undefined;
  /** Whether trying again later may succeed (throttling, 5xx, timeouts). */
  readonly retryable: boolean;
  /** Request id of the failed Alibaba Cloud API call, for support tickets. */
  readonly requestId: string | undefined;

  constructor(message: string, options: { hint?: string; retryable?: boolean; requestId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.requestId = options.requestId;
  }

  /** The single stderr line the kubelet will append to its error log. */
  oneLine(): string {
    const parts = [this.message];
    if (this.requestId) parts.push(`(request id ${this.requestId})`);
    if (this.hint) parts.push(`- ${this.hint}`);
    return parts.join(' ').replace(/\s*\n\s*/g, ' ');
  }
}
