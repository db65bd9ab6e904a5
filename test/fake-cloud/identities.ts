/** Every AccessKey the fake cloud knows: the scenario's static keys and the STS keys it issued. */
import { randomBytes } from 'node:crypto';
import type { Scenario } from './scenario.js';

export interface Principal {
  /** Role ARN for STS credentials, AccessKey id for static keys. */
  id: string;
  accountId: string;
  kind: 'role' | 'user' | 'root';
}

export interface KeyRecord {
  accessKeyId: string;
  accessKeySecret: string;
  principal: Principal;
  /** Present for STS credentials only. */
  securityToken?: string;
  expiresAtMs?: number;
}

export type StsRecord = KeyRecord & { securityToken: string; expiresAtMs: number };

function randomText(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export class Identities {
  private readonly keys = new Map<string, KeyRecord>();

  constructor(scenario: Scenario) {
    for (const key of scenario.accessKeys) {
      this.keys.set(key.accessKeyId, {
        accessKeyId: key.accessKeyId,
        accessKeySecret: key.accessKeySecret,
        principal: { id: key.accessKeyId, accountId: key.accountId, kind: key.root ? 'root' : 'user' },
      });
    }
  }

  lookup(accessKeyId: string): KeyRecord | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Issues STS credentials for a role; they stay valid (for signature checks) until expiresAtMs. */
  issueSts(principal: Principal, expiresAtMs: number): StsRecord {
    const record: StsRecord = {
      accessKeyId: `STS.${randomText(18).replace(/[-_]/g, 'x')}`,
      accessKeySecret: randomText(30),
      securityToken: `CAIS${randomText(120)}`,
      expiresAtMs,
      principal,
    };
    this.keys.set(record.accessKeyId, record);
    return record;
  }
}

/** `2015-04-09T11:52:19Z`: the ISO form STS and IMDS use (no milliseconds). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
