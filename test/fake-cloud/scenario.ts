/** The world the fake cloud simulates: one ECS node, ACR instances, identities and their rights. */
import { TEST_REGIONS } from './regions.js';

export type MetadataMode = 'required' | 'optional';

export interface NodeScenario {
  regionId: string;
  instanceId: string;
  accountId: string;
  /** RAM role attached to the ECS instance; null = no role (IMDS answers 404). */
  roleName: string | null;
  /** 'required': IMDS GETs need a session token (hardened mode); 'optional': token-less GETs work too. */
  metadataMode: MetadataMode;
  /** Lifetime of the role credentials IMDS hands out. */
  credentialTtlSeconds: number;
  /** Derived: `acs:ram::<accountId>:role/<lower-cased roleName>`, the principal of the node's credentials. */
  roleArn: string | null;
}

export interface InstanceScenario {
  instanceId: string;
  instanceName: string;
  regionId: string;
  accountId: string;
  /** Customised (USER) domains of the instance's internet endpoint. */
  customDomains: string[];
  specification: string;
  status: string;
  createTimeMs: number;
}

export interface AccessKeyScenario {
  accessKeyId: string;
  accessKeySecret: string;
  accountId: string;
  /** The account's own (root) key: may do everything in its account, may not assume roles. */
  root: boolean;
}

/** Something a principal may do. */
export interface GrantScenario {
  /** e.g. 'cr:GetAuthorizationToken', 'cr:ListInstance', 'cr:ListInstanceEndpoint', 'cr:*'. */
  actions: string[];
  /**
   * Restricts instance-scoped actions to these instances, which leaves out the Personal
   * Edition registry; absent = any instance of the account, and the Personal Edition registry.
   */
  instanceIds?: string[];
}

export interface OidcTrustScenario {
  oidcProviderArn: string;
  /** Accepted `sub` claims. */
  subjects: string[];
}

export interface RoleScenario {
  arn: string;
  /** Principals allowed to call AssumeRole: role ARNs, AccessKey ids, or `acs:ram::<account>:root` for any RAM identity of that account. */
  trustedPrincipals: string[];
  /** When set, AssumeRole must carry exactly this ExternalId. */
  externalId?: string;
  maxSessionDuration: number;
  oidcTrust?: OidcTrustScenario;
}

export interface OidcProviderScenario {
  arn: string;
  issuer: string;
  audiences: string[];
}

/** ACR Personal Edition: one registry namespace per account and region, no instance id. */
export interface PersonalRegistryScenario {
  /** Regions whose CR endpoint serves the Personal Edition API 2016-06-07. */
  regions: string[];
  /** Principals (role ARNs, AccessKey ids) that initialised their Personal Edition registry login. */
  users: string[];
}

export interface Scenario {
  node: NodeScenario;
  instances: InstanceScenario[];
  personalRegistry: PersonalRegistryScenario;
  accessKeys: AccessKeyScenario[];
  /** What each principal may do, keyed by role ARN or AccessKey id (lower-cased). */
  grants: Record<string, GrantScenario[]>;
  roles: RoleScenario[];
  oidcProviders: OidcProviderScenario[];
  /** More /etc/hosts entries of the namespace, name → IPv4 address: e.g. a registry a test runs on 127.0.0.2. */
  extraHosts: Record<string, string>;
}

/** Scenario overrides. Objects are merged with the defaults (grants per principal); arrays replace them. */
export interface DeepPartialScenario {
  node?: Partial<Omit<NodeScenario, 'roleArn'>>;
  instances?: (Pick<InstanceScenario, 'instanceId' | 'instanceName' | 'regionId' | 'accountId'> & Partial<InstanceScenario>)[];
  /** Default: every TEST_REGIONS region; users = the node role (none without one). */
  personalRegistry?: Partial<PersonalRegistryScenario>;
  accessKeys?: (Omit<AccessKeyScenario, 'root'> & Partial<AccessKeyScenario>)[];
  /**
   * Keyed by role ARN or AccessKey id, case-insensitively; replaces the grants of the
   * principals it names. Default: the node role may do `cr:*` on every instance of its account.
   */
  grants?: Record<string, GrantScenario[]>;
  roles?: (Pick<RoleScenario, 'arn'> & Partial<RoleScenario>)[];
  oidcProviders?: OidcProviderScenario[];
  extraHosts?: Record<string, string>;
}

function roleArnOf(accountId: string, roleName: string): string {
  // RAM reports role ARNs with the role name in lower case.
  return `acs:ram::${accountId}:role/${roleName.toLowerCase()}`;
}

/** Account id of a RAM ARN such as `acs:ram::123:role/x`, or undefined if it is not one. */
export function accountOfArn(arn: string): string | undefined {
  return /^acs:ram::(\d+):/.exec(arn)?.[1];
}

/** ARNs and AccessKey ids compare case-insensitively (RAM lower-cases role names). */
export function samePrincipal(a: string, b: string): boolean {
  return principalKey(a) === principalKey(b);
}

/** The key of a principal in Scenario.grants. */
export function principalKey(principal: string): string {
  return principal.toLowerCase();
}

const DEFAULT_CREATE_TIME_MS = Date.UTC(2024, 0, 15, 8, 0, 0);

export function resolveScenario(partial: DeepPartialScenario = {}): Scenario {
  const nodeInput = {
    regionId: 'cn-hangzhou',
    instanceId: 'i-fakenode0001',
    accountId: '1000000000000001',
    roleName: 'KubernetesWorkerRole-fake' as string | null,
    metadataMode: 'required' as MetadataMode,
    credentialTtlSeconds: 21600,
    ...partial.node,
  };
  const node: NodeScenario = {
    ...nodeInput,
    roleArn: nodeInput.roleName === null ? null : roleArnOf(nodeInput.accountId, nodeInput.roleName),
  };
  const instances = (
    partial.instances ?? [
      { instanceId: 'cri-acme0000000001', instanceName: 'acme', regionId: 'cn-hangzhou', accountId: '1000000000000001', customDomains: ['registry.acme.example'] },
      { instanceId: 'cri-acmesh00000001', instanceName: 'acmesh', regionId: 'cn-shanghai', accountId: '1000000000000001' },
    ]
  ).map((i) => ({ customDomains: [], specification: 'Enterprise_Standard', status: 'RUNNING', createTimeMs: DEFAULT_CREATE_TIME_MS, ...i }));
  return {
    node,
    instances,
    personalRegistry: {
      regions: [...TEST_REGIONS],
      users: node.roleArn === null ? [] : [node.roleArn],
      ...partial.personalRegistry,
    },
    accessKeys: (partial.accessKeys ?? []).map((k) => ({ root: false, ...k })),
    grants: Object.fromEntries(
      Object.entries({ ...(node.roleArn === null ? {} : { [node.roleArn]: [{ actions: ['cr:*'] }] }), ...partial.grants }).map(([principal, grants]) => [
        principalKey(principal),
        grants,
      ]),
    ),
    roles: (partial.roles ?? []).map((r) => ({ trustedPrincipals: [], maxSessionDuration: 3600, ...r })),
    oidcProviders: partial.oidcProviders ?? [],
    extraHosts: partial.extraHosts ?? {},
  };
}
