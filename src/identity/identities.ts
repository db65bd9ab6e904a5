import type { InstanceConfig, ProviderConfig } from '../config/config.js';
import type { CredentialProviderRequest } from '../kubelet/request.js';
import type { ApiNetwork } from '../openapi/call-api.js';
import { accessKeyCredentials } from './access-key.js';
import type { Credentials } from './credentials.js';
import type { EcsMetadata } from './ecs-metadata.js';
import { identityKey, planIdentity, type BaseIdentity } from './plan.js';
import { assumeRole, assumeRoleWithOidc } from './sts.js';

const OIDC_SESSION_SECONDS = 3600;

/** Builds the credentials of each identity plan (see plan.ts), each distinct one once per run. */
export class Identities {
  private readonly built = new Map<string, Promise<Credentials>>();
  private nodeRole: Promise<Credentials> | undefined;

  constructor(
    private readonly config: ProviderConfig,
    private readonly request: CredentialProviderRequest,
    private readonly metadata: EcsMetadata,
    private readonly env: NodeJS.ProcessEnv,
    /** Where STS is called: the same public or VPC endpoints as every other API. */
    private readonly network: ApiNetwork,
  ) {}

  /** Credentials for the instance of `entry`, in `regionId` (where STS is called). */
  for(entry: InstanceConfig | undefined, regionId: string): Promise<Credentials> {
    const plan = planIdentity(this.config, this.request, entry, this.env);
    const key = `${identityKey(plan)}@${plan.base.kind === 'rrsa' || plan.assume ? regionId : ''}`;
    let credentials = this.built.get(key);
    if (!credentials) {
      credentials = this.base(plan.base, regionId).then((base) => (plan.assume ? assumeRole(base, { regionId, network: this.network }, plan.assume) : base));
      this.built.set(key, credentials);
    }
    return credentials;
  }

  private base(base: BaseIdentity, regionId: string): Promise<Credentials> {
    switch (base.kind) {
      case 'access-key': {
        const credentials = accessKeyCredentials(base.accessKey, base.origin);
        if (base.securityToken) credentials.securityToken = base.securityToken;
        return Promise.resolve(credentials);
      }
      case 'rrsa':
        return assumeRoleWithOidc({ regionId, network: this.network }, { ...base, durationSeconds: OIDC_SESSION_SECONDS });
      case 'node-role':
        return (this.nodeRole ??= this.metadata.roleCredentials());
    }
  }
}
