/**
 * What the signed API services (CR Enterprise, CR Personal, STS) share: reading the call,
 * the gateway's checks of version, action and signature, and its failure replies.
 */
import { authenticate } from './auth.js';
import type { FakeService, Handled, RequestFacts } from './exchange.js';
import type { Fault, FaultService } from './faults.js';
import { ApiFailure, failureReply } from './gateway.js';
import type { Identities, KeyRecord } from './identities.js';
import type { IncomingRequest } from './incoming.js';
import type { IssuedTokens } from './issued-tokens.js';
import type { NonceCache } from './nonces.js';
import type { Reply } from './reply.js';
import { parseRpcCall, rpcAction, type RpcCall } from './rpc.js';
import type { Scenario } from './scenario.js';

/** What the API services share: the simulated world and what happened in it so far. */
export interface CloudState {
  scenario: Scenario;
  identities: Identities;
  nonces: NonceCache;
  issued: IssuedTokens;
}

/** A call the gateway routed to the service: a known action of its API version. */
export interface ApiCall {
  req: IncomingRequest;
  call: RpcCall;
  action: string;
  /** Passed for the kinds that change a normal answer (expired-token, not-success). */
  fault: Fault | undefined;
  now: number;
}

/** The service's answer, or a refusal in the gateway's error shape; and who asked, once known. */
export interface ActionOutcome {
  result: Reply | ApiFailure;
  principal?: string;
}

export abstract class ApiService implements FakeService {
  abstract readonly name: FaultService;
  abstract readonly product: string;
  protected abstract readonly version: string;
  protected abstract readonly actionNames: readonly string[];

  protected readonly scenario: Scenario;
  protected readonly identities: Identities;
  protected readonly issued: IssuedTokens;
  private readonly nonces: NonceCache;

  constructor(state: CloudState) {
    this.scenario = state.scenario;
    this.identities = state.identities;
    this.issued = state.issued;
    this.nonces = state.nonces;
  }

  describe(req: IncomingRequest): RequestFacts {
    const { action, version, params, auth, accessKeyId } = parseRpcCall(req);
    return { action, version, params, auth, accessKeyId };
  }

  async handle(req: IncomingRequest, _facts: RequestFacts, fault: Fault | undefined): Promise<Handled> {
    const call = parseRpcCall(req);
    const action = rpcAction(call, this.version, this.actionNames);
    const { result, principal }: ActionOutcome = action instanceof ApiFailure ? { result: action } : this.perform({ req, call, action, fault, now: Date.now() });
    return { reply: result instanceof ApiFailure ? failureReply(result, req.hostName, this.product) : result, principal };
  }

  protected abstract perform(call: ApiCall): ActionOutcome;

  /** Lets `answer` run only for a correctly signed call, as the credentials that signed it. */
  protected authenticated(c: ApiCall, answer: (record: KeyRecord) => Reply | ApiFailure): ActionOutcome {
    const record = authenticate(c.req, c.call, this.identities, this.nonces, c.now);
    if (record instanceof ApiFailure) return { result: record };
    return { result: answer(record), principal: record.principal.id };
  }
}
