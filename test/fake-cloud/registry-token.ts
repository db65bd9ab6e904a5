/**
 * The ACR Enterprise registry token service on dockerauth-ee.<region>.aliyuncs.com, where an
 * instance's registry sends clients (`WWW-Authenticate: Bearer realm=".../auth"`). It takes the
 * temporary username and password GetAuthorizationToken issued, over HTTP Basic, and answers
 * with a JWT that the distribution registry's `auth.token` verifies (Docker token spec):
 *
 *   GET /auth?service=<instance id>&scope=repository:<name>:pull[,push]
 *
 * `service` is the instance id: a convention of the fake (what real ACR names it is not
 * modelled), which lets a password open only the instance and region it was issued for.
 * Actions follow RAM, as ACR does for temporary passwords: pull needs cr:PullRepository,
 * push cr:PushRepository on the instance, for the principal that got the password.
 */
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import type { FakeService, Handled, RequestFacts } from './exchange.js';
import { headerOf, type IncomingRequest } from './incoming.js';
import type { IssuedToken, IssuedTokens } from './issued-tokens.js';
import { isAllowed } from './permissions.js';
import { dockerAuthRegion } from './regions.js';
import { jsonReply, type Reply } from './reply.js';
import type { Scenario } from './scenario.js';

/** The `iss` of every token: a registry trusting this service sets `auth.token.issuer` to it. */
export const REGISTRY_TOKEN_ISSUER = 'fake-cloud dockerauth-ee';
/** Short, like real token services: clients fetch a new one per pull anyway. */
const JWT_LIFETIME_S = 300;
/** The RAM action behind each registry action a token can grant. */
const RAM_ACTIONS: Record<string, string> = { pull: 'cr:PullRepository', push: 'cr:PushRepository' };

export interface TokenSigner {
  /** P-256 private key: tokens are ES256. */
  key: KeyObject;
  /** DER of the signer's certificate, base64 (not url-safe), as the JWS `x5c` header carries it. */
  certificateBase64: string;
}

interface ResourceAccess {
  type: 'repository';
  name: string;
  actions: string[];
}

function basicCredentials(req: IncomingRequest): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(headerOf(req, 'authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `repository:team/app:pull,push` → its name and actions; other resource types are not modelled. */
function repositoryScope(scope: string): { name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (scope.slice(0, first) !== 'repository' || last <= first) return undefined;
  return { name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

/** The distribution registry's error body, with a Basic challenge as token services send. */
function refusal(status: number, code: string, message: string, host: string): Reply {
  const reply = jsonReply(status, { errors: [{ code, message }] }, code);
  reply.headers['www-authenticate'] = `Basic realm="https://${host}/auth"`;
  return reply;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class RegistryTokenService implements FakeService {
  readonly name = 'dockerauth';
  readonly product = 'cr';

  constructor(
    private readonly state: { scenario: Scenario; issued: IssuedTokens },
    private readonly signer: TokenSigner,
  ) {}

  describe(req: IncomingRequest): RequestFacts {
    // The query holds no secret (service, scope, account); the password stays in the header.
    return { params: Object.fromEntries(req.query), auth: basicCredentials(req) ? 'basic' : 'none' };
  }

  async handle(req: IncomingRequest): Promise<Handled> {
    if (req.method !== 'GET' || req.path !== '/auth') return { reply: refusal(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`, req.hostName) };
    const service = req.query.get('service');
    if (!service) return { reply: refusal(400, 'INVALID_REQUEST', 'missing service parameter', req.hostName) };
    const now = Date.now();
    const credentials = basicCredentials(req);
    const token = credentials && this.state.issued.valid(credentials.username, credentials.password, now);
    if (!token || token.edition !== 'enterprise' || token.instanceId !== service || token.regionId !== dockerAuthRegion(req.hostName)) {
      return { reply: refusal(401, 'UNAUTHORIZED', 'invalid username or password', req.hostName) };
    }
    token.logins += 1;
    // As the token spec says: an action the caller may not do is left out, not refused.
    const access = req.searchParams
      .getAll('scope')
      .map(repositoryScope)
      .filter((scope) => scope !== undefined)
      .map((scope): ResourceAccess => ({ type: 'repository', name: scope.name, actions: scope.actions.filter((action) => this.allows(token, action)) }));
    const issuedAt = Math.floor(now / 1000);
    const expiresAt = Math.min(issuedAt + JWT_LIFETIME_S, Math.floor(token.expireTimeMs / 1000));
    const jwt = this.jwt({ iss: REGISTRY_TOKEN_ISSUER, sub: token.username, aud: service, exp: expiresAt, nbf: issuedAt, iat: issuedAt, jti: randomUUID(), access });
    const body = { token: jwt, access_token: jwt, expires_in: expiresAt - issuedAt, issued_at: new Date(issuedAt * 1000).toISOString() };
    return { reply: jsonReply(200, body), principal: token.principal };
  }

  private allows(token: IssuedToken, action: string): boolean {
    const ramAction = RAM_ACTIONS[action];
    const principal = { id: token.principal, accountId: token.accountId, kind: token.principalKind };
    return ramAction !== undefined && isAllowed(this.state.scenario, principal, ramAction, { instanceId: token.instanceId });
  }

  /** ES256 compact JWS; the registry finds the key through `x5c` and checks it against its rootcertbundle. */
  private jwt(claims: Record<string, unknown>): string {
    const signingInput = `${base64url({ typ: 'JWT', alg: 'ES256', x5c: [this.signer.certificateBase64] })}.${base64url(claims)}`;
    // JWS wants the raw r||s pair, not the DER that Node produces by default.
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.signer.key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
