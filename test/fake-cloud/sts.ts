/** Security Token Service 2015-04-01: AssumeRole (signed) and AssumeRoleWithOIDC (unsigned). */
import { createHash } from 'node:crypto';
import { ApiService, type ActionOutcome, type ApiCall } from './api-service.js';
import type { Fault } from './faults.js';
import { ApiFailure, newRequestId } from './gateway.js';
import { isoSeconds, type Principal } from './identities.js';
import { jsonReply, type Reply } from './reply.js';
import { accountOfArn, samePrincipal, type RoleScenario } from './scenario.js';

const VERSION = '2015-04-01';
const ACTIONS = ['AssumeRole', 'AssumeRoleWithOIDC'] as const;
const MIN_DURATION_SECONDS = 900;
const DEFAULT_DURATION_SECONDS = 3600;
/** The conservative rule of the older help page (2–32 chars); the newer one allows 64. */
const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,32}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

type Body = Record<string, unknown>;

interface OidcClaims {
  iss: string;
  aud: string[];
  sub: string;
  exp: number;
  iat?: number;
}

const missing = (name: string) => new ApiFailure(400, `Missing${name}`, `${name} is mandatory for this action.`);
const notTrusted = () =>
  new ApiFailure(403, 'NoPermission', 'No permission perform sts:AssumeRole on this Role. Maybe you are not in the trust list or the role does not exist.');
const oidcInvalid = (message: string) => new ApiFailure(401, 'AuthenticationFail.OIDCToken.Invalid', message);

/** A stable 19-digit role id, like RAM's. */
function roleId(arn: string): string {
  return BigInt(`0x${createHash('sha256').update(arn.toLowerCase()).digest('hex').slice(0, 16)}`)
    .toString()
    .padStart(19, '3')
    .slice(0, 19);
}

function decodeClaims(token: string): OidcClaims | ApiFailure {
  // The SDK sends the token file verbatim, trailing newline included.
  const parts = token.trim().split('.');
  if (parts.length !== 3) return oidcInvalid("The number of Jwt field should be divided into 3 parts with '.' .");
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return oidcInvalid('The Jwt content is invalid that cannot be recognized.');
  }
  const { iss, aud, sub, exp, iat } = payload;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof exp !== 'number' || !audiences) {
    return oidcInvalid('The Jwt content is invalid that cannot be recognized.');
  }
  return { iss, aud: audiences, sub, exp, iat: typeof iat === 'number' ? iat : undefined };
}

/** The reply to a call that got this far: the result in STS's envelope, or its refusal. */
function stsReply(result: Body | ApiFailure, fault: Fault | undefined): Reply | ApiFailure {
  if (result instanceof ApiFailure) return result;
  // Unverified how a broken STS answer looks; this one lacks the Credentials the SDKs require.
  const body = fault?.kind === 'not-success' ? {} : result;
  return jsonReply(200, { RequestId: newRequestId(), ...body });
}

export class SecurityTokenService extends ApiService {
  readonly name = 'sts';
  readonly product = 'Sts';
  protected readonly version = VERSION;
  protected readonly actionNames = ACTIONS;

  protected perform(c: ApiCall): ActionOutcome {
    if (c.action === 'AssumeRole') return this.authenticated(c, (record) => stsReply(this.assumeRole(c.call.params, record.principal, c.now, c.fault), c.fault));
    return { result: stsReply(this.assumeRoleWithOidc(c.call.params, c.now, c.fault), c.fault) };
  }

  private findRole(arn: string): RoleScenario | undefined {
    return this.scenario.roles.find((r) => samePrincipal(r.arn, arn));
  }

  /** Validates RoleSessionName and DurationSeconds, then issues the role's credentials. */
  private issue(role: RoleScenario, params: Record<string, string>, now: number, fault: Fault | undefined): Body | ApiFailure {
    const durationText = params.DurationSeconds ?? String(DEFAULT_DURATION_SECONDS);
    const duration = Number(durationText);
    if (!/^\d+$/.test(durationText) || duration < MIN_DURATION_SECONDS || duration > role.maxSessionDuration) {
      const maxHours = role.maxSessionDuration / 3600;
      return new ApiFailure(400, 'InvalidParameter.DurationSeconds', `The Min/Max value of DurationSeconds is 15min/${maxHours}hr.`);
    }
    const session = params.RoleSessionName ?? '';
    const principal: Principal = { id: role.arn, accountId: accountOfArn(role.arn) ?? '', kind: 'role' };
    const expiresAtMs = fault?.kind === 'expired-token' ? now - 60_000 : now + duration * 1000;
    const record = this.identities.issueSts(principal, expiresAtMs);
    return {
      AssumedRoleUser: { Arn: `${role.arn.toLowerCase()}/${session}`, AssumedRoleId: `${roleId(role.arn)}:${session}` },
      Credentials: {
        AccessKeyId: record.accessKeyId,
        AccessKeySecret: record.accessKeySecret,
        SecurityToken: record.securityToken,
        Expiration: isoSeconds(record.expiresAtMs),
      },
    };
  }

  private checkCommon(params: Record<string, string>): ApiFailure | undefined {
    if (!params.RoleArn) return missing('RoleArn');
    if (params.RoleSessionName === undefined) return missing('RoleSessionName');
    if (!SESSION_NAME.test(params.RoleSessionName)) return new ApiFailure(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
    if (params.Policy !== undefined) {
      // Only the grammar is checked: the fake does not intersect session policies with grants.
      try {
        JSON.parse(params.Policy);
      } catch {
        return new ApiFailure(400, 'InvalidParameter.PolicyGrammar', 'The parameter Policy has not passed grammar check.');
      }
    }
    return undefined;
  }

  private assumeRole(params: Record<string, string>, caller: Principal, now: number, fault: Fault | undefined): Body | ApiFailure {
    const invalid = this.checkCommon(params);
    if (invalid) return invalid;
    if (params.ExternalId !== undefined && !EXTERNAL_ID.test(params.ExternalId)) {
      return new ApiFailure(400, 'InvalidParameter.ExternalId', 'The parameter ExternalId is wrongly formed.');
    }
    if (caller.kind === 'root') return new ApiFailure(403, 'NoPermission', 'Roles may not be assumed by root accounts.');
    const role = this.findRole(params.RoleArn ?? '');
    if (!role) return notTrusted();
    // `acs:ram::<account>:root` in a trust policy admits every RAM identity of that account.
    const trusted = role.trustedPrincipals.some((t) => samePrincipal(t, caller.id) || samePrincipal(t, `acs:ram::${caller.accountId}:root`));
    if (!trusted) return notTrusted();
    if (role.externalId !== undefined && params.ExternalId !== role.externalId) return notTrusted();
    return this.issue(role, params, now, fault);
  }

  private assumeRoleWithOidc(params: Record<string, string>, now: number, fault: Fault | undefined): Body | ApiFailure {
    if (!params.OIDCProviderArn) return missing('OIDCProviderArn');
    if (!params.OIDCToken) return oidcInvalid('The OIDCToken can not empty.');
    const invalid = this.checkCommon(params);
    if (invalid) return invalid;
    const provider = this.scenario.oidcProviders.find((p) => samePrincipal(p.arn, params.OIDCProviderArn ?? ''));
    if (!provider) return new ApiFailure(401, 'AuthenticationFail.NoPermission', 'No such OIDC Provider registered.');
    const claims = decodeClaims(params.OIDCToken);
    if (claims instanceof ApiFailure) return claims;
    // The JWT signature is not checked: tests mint unsigned tokens.
    if (claims.iss !== provider.issuer) return oidcInvalid('Invalid issuer.');
    if (!claims.aud.some((a) => provider.audiences.includes(a))) return new ApiFailure(401, 'AuthenticationFail.OIDCToken.AudienceNotMatch', 'Invalid audience.');
    if (claims.exp * 1000 <= now) return new ApiFailure(401, 'AuthenticationFail.OIDCToken.Expired', 'This JsonWebToken is expired.');
    const role = this.findRole(params.RoleArn ?? '');
    const trust = role?.oidcTrust;
    if (!role || !trust || !samePrincipal(trust.oidcProviderArn, provider.arn) || !trust.subjects.includes(claims.sub)) {
      return new ApiFailure(401, 'AuthenticationFail.NoPermission', 'There is no permission');
    }
    const issued = this.issue(role, params, now, fault);
    if (issued instanceof ApiFailure) return issued;
    return {
      ...issued,
      OIDCTokenInfo: {
        Subject: claims.sub,
        Issuer: claims.iss,
        ClientIds: claims.aud.join(','),
        IssuanceTime: claims.iat === undefined ? undefined : isoSeconds(claims.iat * 1000),
        ExpirationTime: isoSeconds(claims.exp * 1000),
        VerificationInfo: 'Success',
      },
    };
  }
}
