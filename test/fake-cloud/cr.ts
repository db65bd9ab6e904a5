/** Container Registry Enterprise Edition API 2018-12-01 on cr[-vpc].<region>.aliyuncs.com. */
import { randomBytes } from 'node:crypto';
import { authenticate } from './auth.js';
import type { FakeService, Handled, RequestFacts } from './exchange.js';
import type { Fault } from './faults.js';
import { ApiFailure, failureReply, newRequestId } from './gateway.js';
import type { Identities, KeyRecord } from './identities.js';
import type { IncomingRequest } from './incoming.js';
import type { IssuedTokens } from './issued-tokens.js';
import type { NonceCache } from './nonces.js';
import { forbidden, isAllowed } from './permissions.js';
import { jsonReply } from './reply.js';
import { parseRpcCall, rpcAction } from './rpc.js';
import type { InstanceScenario, Scenario } from './scenario.js';

const VERSION = '2018-12-01';
const TOKEN_LIFETIME_MS = 3600 * 1000;
const DEFAULT_PAGE_SIZE = 30;

type Body = Record<string, unknown>;

interface CallContext {
  params: Record<string, string>;
  /** Region of the endpoint the call was sent to. */
  region: string;
  record: KeyRecord;
  fault: Fault | undefined;
  now: number;
}

/** The region of `cr.<region>.aliyuncs.com` / `cr-vpc.<region>.aliyuncs.com`. */
function crEndpointRegion(hostName: string): string | undefined {
  return /^cr(?:-vpc)?\.([a-z0-9-]+)\.aliyuncs\.com$/.exec(hostName)?.[1];
}

function success(body: Body): Body {
  return { Code: 'success', IsSuccess: true, ...body };
}

/** EE reports a missing instance as HTTP 200 with IsSuccess:false. */
const INSTANCE_NOT_EXIST: Body = { Code: 'INSTANCE_NOT_EXIST', IsSuccess: false };

function missingInstanceId(): ApiFailure {
  return new ApiFailure(400, 'MissingInstanceId', 'InstanceId is mandatory for this action.');
}

function positiveInt(value: string | undefined, fallback: number, name: string): number | ApiFailure {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : new ApiFailure(400, 'InvalidParameter', `The specified parameter ${name} is invalid.`);
}

export class ContainerRegistry implements FakeService {
  readonly name = 'cr';
  readonly product = 'cr';
  private readonly actions: Record<string, (ctx: CallContext) => Body | ApiFailure> = {
    GetAuthorizationToken: (ctx) => this.getAuthorizationToken(ctx),
    ListInstance: (ctx) => this.listInstance(ctx),
    ListInstanceEndpoint: (ctx) => this.listInstanceEndpoint(ctx),
    GetInstance: (ctx) => this.getInstance(ctx),
  };

  constructor(
    private readonly scenario: Scenario,
    private readonly identities: Identities,
    private readonly nonces: NonceCache,
    private readonly issued: IssuedTokens,
  ) {}

  describe(req: IncomingRequest): RequestFacts {
    const { action, version, params, auth, accessKeyId } = parseRpcCall(req);
    return { action, version, params, auth, accessKeyId };
  }

  async handle(req: IncomingRequest, _facts: RequestFacts, fault: Fault | undefined): Promise<Handled> {
    const fail = (failure: ApiFailure, principal?: string): Handled => ({ reply: failureReply(failure, req.hostName, this.product), principal });
    const call = parseRpcCall(req);
    const action = rpcAction(call, VERSION, Object.keys(this.actions));
    if (action instanceof ApiFailure) return fail(action);
    const now = Date.now();
    const record = authenticate(req, call, this.identities, this.nonces, now);
    if (record instanceof ApiFailure) return fail(record);
    const principal = record.principal.id;

    const region = crEndpointRegion(req.hostName) ?? '';
    const result = this.actions[action]({ params: call.params, region, record, fault, now });
    if (result instanceof ApiFailure) return fail(result, principal);
    // Unverified what a failing EE call says besides IsSuccess:false; the code is made up.
    const body = fault?.kind === 'not-success' ? { Code: 'SYSTEM_ERROR', IsSuccess: false } : result;
    return { reply: jsonReply(200, { RequestId: newRequestId(), ...body }, body.IsSuccess === false ? String(body.Code) : undefined), principal };
  }

  /**
   * The instance as the caller sees it: only instances of the caller's account in the
   * endpoint's region exist (inferred: ACR lists per region, and RAM scopes to the account).
   */
  private visibleInstance(ctx: CallContext, instanceId: string): InstanceScenario | undefined {
    return this.scenario.instances.find((i) => i.instanceId === instanceId && i.regionId === ctx.region && i.accountId === ctx.record.principal.accountId);
  }

  private getAuthorizationToken(ctx: CallContext): Body | ApiFailure {
    const instanceId = ctx.params.InstanceId;
    if (!instanceId) return missingInstanceId();
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:GetAuthorizationToken', instanceId)) return forbidden(ctx.record.principal, 'cr:GetAuthorizationToken');
    if (!this.visibleInstance(ctx, instanceId)) return INSTANCE_NOT_EXIST;
    // A password lives 1 h, or as long as the caller's STS credentials if that is shorter.
    const expireTimeMs = ctx.fault?.kind === 'expired-token' ? ctx.now - 60_000 : Math.min(ctx.now + TOKEN_LIFETIME_MS, ctx.record.expiresAtMs ?? Infinity);
    const token = {
      instanceId,
      username: 'cr_temp_user',
      password: randomBytes(48).toString('base64url'),
      principal: ctx.record.principal.id,
      accountId: ctx.record.principal.accountId,
      issuedAtMs: ctx.now,
      expireTimeMs,
    };
    this.issued.add(token);
    return success({ TempUsername: token.username, AuthorizationToken: token.password, ExpireTime: expireTimeMs });
  }

  private listInstance(ctx: CallContext): Body | ApiFailure {
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:ListInstance')) return forbidden(ctx.record.principal, 'cr:ListInstance');
    const pageNo = positiveInt(ctx.params.PageNo, 1, 'PageNo');
    if (pageNo instanceof ApiFailure) return pageNo;
    const pageSize = positiveInt(ctx.params.PageSize, DEFAULT_PAGE_SIZE, 'PageSize');
    if (pageSize instanceof ApiFailure) return pageSize;
    const visible = this.scenario.instances.filter((i) => i.regionId === ctx.region && i.accountId === ctx.record.principal.accountId);
    const page = visible.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    return success({
      PageNo: pageNo,
      PageSize: pageSize,
      TotalCount: visible.length,
      Instances: page.map((i) => ({
        InstanceId: i.instanceId,
        InstanceName: i.instanceName,
        InstanceSpecification: i.specification,
        InstanceStatus: i.status,
        RegionId: i.regionId,
        ResourceGroupId: `rg-fake${i.accountId.slice(-6)}`,
        // ListInstance reports times as strings of epoch ms (GetInstance as numbers).
        CreateTime: String(i.createTimeMs),
        ModifiedTime: String(i.createTimeMs),
        Tags: [],
      })),
    });
  }

  private listInstanceEndpoint(ctx: CallContext): Body | ApiFailure {
    const instanceId = ctx.params.InstanceId;
    if (!instanceId) return missingInstanceId();
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:ListInstanceEndpoint', instanceId)) return forbidden(ctx.record.principal, 'cr:ListInstanceEndpoint');
    const instance = this.visibleInstance(ctx, instanceId);
    if (!instance) return INSTANCE_NOT_EXIST;
    // Chart module domains are not modelled (their host form is unverified).
    if (ctx.params.ModuleName === 'Chart') return success({ Endpoints: [] });
    const base = `${instance.instanceName}-registry`;
    const endpoint = (type: string, domains: { Domain: string; Type: string }[]) => ({
      EndpointType: type,
      Enable: true,
      Status: 'RUNNING',
      AclEnable: false,
      AclEntries: [],
      LinkedVpcs: [],
      Domains: domains,
    });
    return success({
      Endpoints: [
        endpoint('internet', [
          { Domain: `${base}.${instance.regionId}.cr.aliyuncs.com`, Type: 'SYSTEM' },
          ...instance.customDomains.map((domain) => ({ Domain: domain, Type: 'USER' })),
        ]),
        endpoint('vpc', [{ Domain: `${base}-vpc.${instance.regionId}.cr.aliyuncs.com`, Type: 'SYSTEM' }]),
      ],
    });
  }

  private getInstance(ctx: CallContext): Body | ApiFailure {
    const instanceId = ctx.params.InstanceId;
    if (!instanceId) return missingInstanceId();
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:GetInstance', instanceId)) return forbidden(ctx.record.principal, 'cr:GetInstance');
    const instance = this.visibleInstance(ctx, instanceId);
    if (!instance) return INSTANCE_NOT_EXIST;
    return success({
      InstanceId: instance.instanceId,
      InstanceName: instance.instanceName,
      InstanceSpecification: instance.specification,
      InstanceStatus: instance.status,
      ResourceGroupId: `rg-fake${instance.accountId.slice(-6)}`,
      CreateTime: instance.createTimeMs,
      ModifiedTime: instance.createTimeMs,
      Tags: [],
    });
  }
}
