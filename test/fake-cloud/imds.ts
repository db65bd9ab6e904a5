/** ECS instance metadata service (http://100.100.100.200), normal and hardened mode. */
import { randomBytes } from 'node:crypto';
import type { FakeService, Handled, RequestFacts } from './exchange.js';
import type { Fault } from './faults.js';
import { isoSeconds, type Identities, type StsRecord } from './identities.js';
import { headerOf, type IncomingRequest } from './incoming.js';
import { textReply, type Reply } from './reply.js';
import type { Scenario } from './scenario.js';

const TOKEN_PATH = '/latest/api/token';
const META_PREFIX = '/latest/meta-data/';
const CREDENTIALS_ITEM = 'ram/security-credentials/';
const TOKEN_HEADER = 'x-aliyun-ecs-metadata-token';
const TTL_HEADER = 'x-aliyun-ecs-metadata-token-ttl-seconds';
const MAX_TOKEN_TTL_SECONDS = 21600;

function notFound(): Reply {
  return textReply(404, 'Not Found');
}

export class Imds implements FakeService {
  readonly name = 'imds';
  readonly product = 'Ecs';
  /** Session token → expiry (ms). */
  private readonly tokens = new Map<string, number>();
  private current: { record: StsRecord; issuedAtMs: number } | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly identities: Identities,
  ) {}

  describe(req: IncomingRequest): RequestFacts {
    if (req.path === TOKEN_PATH) {
      const ttl = headerOf(req, TTL_HEADER);
      return { action: 'api/token', params: ttl === undefined ? {} : { ttlSeconds: ttl }, auth: 'none' };
    }
    const action = req.path.startsWith(META_PREFIX) ? req.path.slice(META_PREFIX.length) : req.path;
    return { action, params: {}, auth: headerOf(req, TOKEN_HEADER) === undefined ? 'imds-v1' : 'imds-token' };
  }

  async handle(req: IncomingRequest, facts: RequestFacts, fault: Fault | undefined): Promise<Handled> {
    const now = Date.now();
    if (req.path === TOKEN_PATH) return { reply: req.method === 'PUT' ? this.issueToken(req, now) : textReply(405, 'Method Not Allowed') };
    if (req.method !== 'GET') return { reply: textReply(405, 'Method Not Allowed') };

    const token = headerOf(req, TOKEN_HEADER);
    const tokenValid = token !== undefined && (this.tokens.get(token) ?? 0) > now;
    // Real status for a refused request is unverified (one user saw 405); 401 is what IMDSv2-style services use.
    if (token !== undefined && !tokenValid) return { reply: textReply(401, 'Unauthorized') };
    if (token === undefined && this.scenario.node.metadataMode === 'required') return { reply: textReply(401, 'Unauthorized') };

    if (!req.path.startsWith(META_PREFIX)) return { reply: notFound() };
    const item = facts.action ?? '';
    const node = this.scenario.node;
    switch (item) {
      case '':
        return { reply: textReply(200, ['instance-id', 'owner-account-id', 'ram/', 'region-id'].join('\n')) };
      case 'region-id':
        return { reply: textReply(200, node.regionId) };
      case 'instance-id':
        return { reply: textReply(200, node.instanceId) };
      case 'owner-account-id':
        return { reply: textReply(200, node.accountId) };
      case CREDENTIALS_ITEM:
      case CREDENTIALS_ITEM.slice(0, -1):
        return { reply: node.roleName === null ? notFound() : textReply(200, node.roleName) };
    }
    if (item.startsWith(CREDENTIALS_ITEM) && node.roleName !== null && item.slice(CREDENTIALS_ITEM.length) === node.roleName) {
      return this.roleCredentials(now, fault);
    }
    return { reply: notFound() };
  }

  private issueToken(req: IncomingRequest, now: number): Reply {
    const ttlText = headerOf(req, TTL_HEADER) ?? '';
    const ttl = /^\d+$/.test(ttlText) ? Number(ttlText) : NaN;
    // Status for a bad TTL is unverified; 400 per the reference.
    if (!(ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS)) return textReply(400, 'Bad Request');
    for (const [token, expiresAt] of this.tokens) if (expiresAt <= now) this.tokens.delete(token);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, now + ttl * 1000);
    return textReply(200, token);
  }

  private roleCredentials(now: number, fault: Fault | undefined): Handled {
    const node = this.scenario.node;
    const principal = { id: node.roleArn ?? '', accountId: node.accountId, kind: 'role' as const };
    const ttlMs = node.credentialTtlSeconds * 1000;
    let issued: { record: StsRecord; issuedAtMs: number };
    if (fault?.kind === 'expired-token') {
      // Credentials that expired a minute ago, as if the rotation had stalled.
      issued = { record: this.identities.issueSts(principal, now - 60_000), issuedAtMs: now - 60_000 - ttlMs };
    } else {
      // Rotate once half the lifetime is used up; earlier credentials stay valid until they expire.
      if (!this.current || this.current.record.expiresAtMs - now <= ttlMs / 2) {
        this.current = { record: this.identities.issueSts(principal, now + ttlMs), issuedAtMs: now };
      }
      issued = this.current;
    }
    const body = {
      AccessKeyId: issued.record.accessKeyId,
      AccessKeySecret: issued.record.accessKeySecret,
      Expiration: isoSeconds(issued.record.expiresAtMs),
      SecurityToken: issued.record.securityToken,
      LastUpdated: isoSeconds(issued.issuedAtMs),
      // Unverified what the real service reports on failure; anything but "Success" is refused by the SDK.
      Code: fault?.kind === 'not-success' ? 'Failed' : 'Success',
    };
    return { reply: textReply(200, JSON.stringify(body, null, 2)), principal: principal.id };
  }
}
