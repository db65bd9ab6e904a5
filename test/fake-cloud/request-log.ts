/** Every request the fake cloud received, including refused and faulted ones. */
import type { FaultKind, FaultService } from './faults.js';

export type LoggedAuth = 'ACS3-HMAC-SHA256' | 'HMAC-SHA1' | 'none' | 'imds-token' | 'imds-v1' | 'basic';

export interface LoggedRequest {
  /** 'unknown' for a Host the fake does not serve. */
  service: FaultService | 'unknown';
  host: string;
  method: string;
  path: string;
  action?: string;
  version?: string;
  /** API parameters; secrets (SecurityToken, OIDCToken, …) are replaced by '<redacted>'. */
  params: Record<string, string>;
  auth: LoggedAuth;
  accessKeyId?: string;
  /** Role ARN or AccessKey id the request was authenticated as. */
  principal?: string;
  /** HTTP status; 0 when the connection was reset instead. */
  status: number;
  errorCode?: string;
  /** The fault injected into this request, if any. */
  fault?: FaultKind;
  /** ISO time the request arrived. */
  time: string;
}

const SECRET_PARAMS = new Set(['AccessKeySecret', 'SecurityToken', 'OIDCToken', 'Signature']);

function redactParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = SECRET_PARAMS.has(key) ? '<redacted>' : value;
  return out;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): void {
    // Redact here too, so no service can leak a secret into the log by mistake.
    this.entries.push({ ...entry, params: redactParams(entry.params) });
  }

  list(): LoggedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
