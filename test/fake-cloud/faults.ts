/** Failures injected at runtime, consumed by matching requests in the order they were added. */

export type FaultService = 'imds' | 'cr' | 'sts' | 'dockerauth';

export type FaultKind =
  | 'throttle'
  | 'server-error'
  | 'slow'
  | 'html-503'
  | 'truncated-json'
  | 'garbage'
  | 'expired-token'
  | 'not-success'
  | 'reset';

export interface Fault {
  service: FaultService;
  /**
   * Only requests for this action: an API action name, or for IMDS `api/token` or a path
   * under `meta-data/` such as `ram/security-credentials/<role>`. An action ending in `/`
   * matches everything below it. Absent = every request to the service.
   */
  action?: string;
  /** Only requests for this API version, e.g. '2016-06-07' for ACR Personal Edition; absent = any. */
  version?: string;
  kind: FaultKind;
  /** How many requests it affects; absent = all of them until clearFaults(). */
  times?: number;
  /** Delay of a 'slow' fault. */
  delayMs?: number;
}

const FAULT_SERVICES: readonly FaultService[] = ['imds', 'cr', 'sts', 'dockerauth'];
const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  'server-error',
  'slow',
  'html-503',
  'truncated-json',
  'garbage',
  'expired-token',
  'not-success',
  'reset',
];

/** Throws unless `value` is a well-formed Fault (it arrives as JSON over the control socket). */
export function assertFault(value: unknown): asserts value is Fault {
  const f = value as Partial<Fault> | null;
  const ok =
    typeof f === 'object' &&
    f !== null &&
    FAULT_SERVICES.includes(f.service as FaultService) &&
    FAULT_KINDS.includes(f.kind as FaultKind) &&
    (f.action === undefined || typeof f.action === 'string') &&
    (f.version === undefined || typeof f.version === 'string') &&
    (f.times === undefined || (Number.isInteger(f.times) && f.times > 0)) &&
    (f.delayMs === undefined || (Number.isFinite(f.delayMs) && f.delayMs >= 0));
  if (!ok) throw new Error(`invalid fault: ${JSON.stringify(value)}`);
}

function actionMatches(pattern: string | undefined, action: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (action === undefined) return false;
  return pattern.endsWith('/') ? action.startsWith(pattern) : action === pattern;
}

export class FaultTable {
  private faults: { fault: Fault; remaining: number }[] = [];

  add(fault: Fault): void {
    this.faults.push({ fault, remaining: fault.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching this request, counting it as used. */
  take(service: FaultService, action: string | undefined, version: string | undefined): Fault | undefined {
    const entry = this.faults.find(
      (e) => e.fault.service === service && actionMatches(e.fault.action, action) && (e.fault.version === undefined || e.fault.version === version),
    );
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults = this.faults.filter((e) => e !== entry);
    return entry.fault;
  }
}
