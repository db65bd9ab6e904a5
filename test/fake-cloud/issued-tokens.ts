/** Registry passwords handed out by GetAuthorizationToken (both ACR editions), and who got them. */
import { randomBytes } from 'node:crypto';
import type { Fault } from './faults.js';
import type { KeyRecord, Principal } from './identities.js';
import { safeEqual } from './signatures.js';

const TOKEN_LIFETIME_MS = 3600 * 1000;

export type RegistryEdition = 'enterprise' | 'personal';

export interface IssuedToken {
  edition: RegistryEdition;
  /** The Enterprise instance; '' for Personal Edition, which has none. */
  instanceId: string;
  /** Region of the CR endpoint that issued it. */
  regionId: string;
  username: string;
  password: string;
  /** Role ARN or AccessKey id that called GetAuthorizationToken. */
  principal: string;
  principalKind: Principal['kind'];
  accountId: string;
  issuedAtMs: number;
  expireTimeMs: number;
  /** How many times the registry token service accepted this username and password. */
  logins: number;
}

export class IssuedTokens {
  private readonly tokens: IssuedToken[] = [];

  /**
   * Issues a password for `caller` and records it. It lives 1 h, or as long as the caller's
   * STS credentials if that is shorter; an 'expired-token' fault makes it expired already.
   */
  issue(registry: Pick<IssuedToken, 'edition' | 'instanceId' | 'regionId'>, caller: KeyRecord, now: number, fault: Fault | undefined): IssuedToken {
    const token: IssuedToken = {
      ...registry,
      username: 'cr_temp_user',
      password: randomBytes(48).toString('base64url'),
      principal: caller.principal.id,
      principalKind: caller.principal.kind,
      accountId: caller.principal.accountId,
      issuedAtMs: now,
      expireTimeMs: fault?.kind === 'expired-token' ? now - 60_000 : Math.min(now + TOKEN_LIFETIME_MS, caller.expiresAtMs ?? Infinity),
      logins: 0,
    };
    this.tokens.push(token);
    return token;
  }

  /** The unexpired token with this username and password, if one was issued. */
  valid(username: string, password: string, now: number): IssuedToken | undefined {
    return this.tokens.find((t) => t.username === username && safeEqual(t.password, password) && now < t.expireTimeMs);
  }

  list(): IssuedToken[] {
    return this.tokens;
  }
}
