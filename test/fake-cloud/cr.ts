/** Container Registry Enterprise Edition API 2018-12-01 on cr[-vpc].<region>.aliyuncs.com. */
import { ApiService, type ActionOutcome, type ApiCall } from './api-service.js';
import type { Fault } from './faults.js';
import { ApiFailure, newRequestId } from './gateway.js';
import type { KeyRecord } from './identities.js';
import { forbidden, isAllowed } from './permissions.js';
import { crEndpointRegion } from './regions.js';
import { jsonReply } from './reply.js';
import type { InstanceScenario } from './scenario.js';

const VERSION = '2018-12-01';
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

export class ContainerRegistry extends ApiService {
  readonly name = 'cr';
  readonly product = 'cr';
  protected readonly version = VERSION;
  private readonly actions: Record<string, (ctx: CallContext) => Body | ApiFailure> = {
    GetAuthorizationToken: (ctx) => this.getAuthorizationToken(ctx),
    ListInstance: (ctx) => this.listInstance(ctx),
    ListInstanceEndpoint: (ctx) => this.listInstanceEndpoint(ctx),
    GetInstance: (ctx) => this.getInstance(ctx),
  };
  protected readonly actionNames = Object.keys(this.actions);

  protected perform(c: ApiCall): ActionOutcome {
    return this.authenticated(c, (record) => {
      const region = crEndpointRegion(c.req.hostName) ?? '';
      const result = this.actions[c.action]({ params: c.call.params, region, record, fault: c.fault, now: c.now });
      if (result instanceof ApiFailure) return result;
      // Unverified what a failing EE call says besides IsSuccess:false; the code is made up.
      const body = c.fault?.kind === 'not-success' ? { Code: 'SYSTEM_ERROR', IsSuccess: false } : result;
      return jsonReply(200, { RequestId: newRequestId(), ...body }, body.IsSuccess === false ? String(body.Code) : undefined);
    });
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
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:GetAuthorizationToken', { instanceId })) return forbidden(ctx.record.principal, 'cr:GetAuthorizationToken');
    if (!this.visibleInstance(ctx, instanceId)) return INSTANCE_NOT_EXIST;
    const token = this.issued.issue({ edition: 'enterprise', instanceId, regionId: ctx.region }, ctx.record, ctx.now, ctx.fault);
    return success({ TempUsername: token.username, AuthorizationToken: token.password, ExpireTime: token.expireTimeMs });
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
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:ListInstanceEndpoint', { instanceId })) return forbidden(ctx.record.principal, 'cr:ListInstanceEndpoint');
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
    if (!isAllowed(this.scenario, ctx.record.principal, 'cr:GetInstance', { instanceId })) return forbidden(ctx.record.principal, 'cr:GetInstance');
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
