/**
 * Container Registry Personal Edition API 2016-06-07 (ROA) on cr[-vpc].<region>.aliyuncs.com,
 * the hosts of the Enterprise API: only GetAuthorizationToken, as `GET /tokens`.
 * Only its V3 signature is modelled, not the ROA `acs AK:signature` form.
 */
import { ApiService, type ActionOutcome, type ApiCall } from './api-service.js';
import { ApiFailure, newRequestId } from './gateway.js';
import type { KeyRecord } from './identities.js';
import { headerOf, type IncomingRequest } from './incoming.js';
import { forbidden, isAllowed } from './permissions.js';
import { crEndpointRegion } from './regions.js';
import { jsonReply, type Reply } from './reply.js';
import { apiNotFound } from './rpc.js';
import { samePrincipal } from './scenario.js';

const VERSION = '2016-06-07';
const TOKENS_PATH = '/tokens';

/** Whether a request to a CR host is for this API rather than the Enterprise one. */
export function isPersonalEditionRequest(req: IncomingRequest): boolean {
  return headerOf(req, 'x-acs-version') === VERSION || req.path === TOKENS_PATH;
}

/** Personal Edition's own errors have lower-case keys, unlike the gateway's (reference §0.7). */
function personalError(status: number, code: string, message: string): Reply {
  return jsonReply(status, { code, message, requestId: newRequestId() }, code);
}

export class PersonalRegistry extends ApiService {
  readonly name = 'cr';
  readonly product = 'cr';
  protected readonly version = VERSION;
  protected readonly actionNames = ['GetAuthorizationToken'];

  protected perform(c: ApiCall): ActionOutcome {
    // A ROA API is found by method and path, not by the action header alone.
    if (c.req.method !== 'GET' || c.req.path !== TOKENS_PATH) return { result: apiNotFound() };
    const region = crEndpointRegion(c.req.hostName) ?? '';
    // Unverified what a region without Personal Edition answers; "no such API" is a guess.
    if (!this.scenario.personalRegistry.regions.includes(region)) return { result: apiNotFound() };
    return this.authenticated(c, (record) => this.getAuthorizationToken(c, record, region));
  }

  private getAuthorizationToken({ fault, now }: ApiCall, record: KeyRecord, region: string): Reply | ApiFailure {
    if (!isAllowed(this.scenario, record.principal, 'cr:GetAuthorizationToken', 'personal')) return forbidden(record.principal, 'cr:GetAuthorizationToken');
    if (!this.scenario.personalRegistry.users.some((user) => samePrincipal(user, record.principal.id))) {
      return personalError(404, 'USER_NOT_EXIST', 'user is not exist.');
    }
    // Unverified how a broken PE answer looks; this one lacks the data the caller needs.
    if (fault?.kind === 'not-success') return jsonReply(200, { requestId: newRequestId() });
    const token = this.issued.issue({ edition: 'personal', instanceId: '', regionId: region }, record, now, fault);
    return jsonReply(200, {
      data: { authorizationToken: token.password, tempUserName: token.username, expireDate: token.expireTimeMs },
      requestId: newRequestId(),
    });
  }
}
