import { DEFAULT_EXPIRE_DURATION_SECONDS, ROLE_ARN, type InstanceConfig, type ProviderConfig } from '../config/config.js';
import { ProviderError } from '../errors.js';
import type { CredentialProviderRequest } from '../kubelet/request.js';
import { log } from '../log.js';
import type { ApiNetwork } from '../openapi/call-api.js';
import { accessKeyCredentials, environmentCredentials } from './access-key.js';
import type { Credentials } from './credentials.js';
import type { EcsMetadata } from './ecs-metadata.js';
import { assumeRole, assumeRoleWithOidc } from './sts.js';

/** Service account annotation naming the role a pod's images are pulled with (RRSA). */
export const ROLE_ARN_ANNOTATION = 'aliyun-acr-credential-provider/role-arn';

const OIDC_SESSION_SECONDS = 3600;

/**
 * Picks and builds the identity for a config entry (or for an image with no entry), in one
 * place. The base identity is the first of: the entry's AccessKey; the pod's service
 * account token exchanged through RRSA; the ALIBABA_CLOUD_ACCESS_KEY_* environment; the
 * node's RAM role. An entry's assumeRoleARN is then assumed on top of it. Each distinct
 * identity is built once per run.
 */
export class Identities {
  private readonly built = new Map<string, Promise<Credentials>>();
  private readonly network: ApiNetwork;
  private nodeRole: Promise<Credentials> | undefined;

  constructor(
    private readonly config: ProviderConfig,
    private readonly request: CredentialProviderRequest,
    private readonly metadata: EcsMetadata,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.network = config.useVpcEndpoint ? 'vpc' : 'public';
    if (config.rrsa.requireServiceAccount && request.serviceAccountToken === undefined) {
      throw new ProviderError('the config requires a service account token (rrsa.requireServiceAccount), but the request carries none', {
        hint: 'set tokenAttributes for this provider in the kubelet CredentialProviderConfig (apiVersion credentialprovider.kubelet.k8s.io/v1, kubelet 1.33+ with the KubeletServiceAccountTokenForCredentialProviders gate)',
      });
    }
  }

  /** Credentials for the instance of `entry`, in `regionId` (where STS is called). */
  for(entry: InstanceConfig | undefined, regionId: string): Promise<Credentials> {
    const key = JSON.stringify([entry?.name ?? '', entry?.assumeRoleARN ? regionId : '']);
    let credentials = this.built.get(key);
    if (!credentials) this.built.set(key, (credentials = this.build(entry, regionId)));
    return credentials;
  }

  private async build(entry: InstanceConfig | undefined, regionId: string): Promise<Credentials> {
    const base = await this.base(entry, regionId);
    if (!entry?.assumeRoleARN) return base;
    return assumeRole(base, { regionId, network: this.network }, {
      roleArn: entry.assumeRoleARN,
      durationSeconds: entry.expireDuration ?? DEFAULT_EXPIRE_DURATION_SECONDS,
      externalId: entry.externalId,
    });
  }

  private base(entry: InstanceConfig | undefined, regionId: string): Promise<Credentials> {
    if (entry?.customAccessKey) return Promise.resolve(accessKeyCredentials(entry.customAccessKey, `config ${entry.name}`));
    const rrsa = this.rrsa(entry);
    if (rrsa) return assumeRoleWithOidc({ regionId, network: this.network }, { ...rrsa, durationSeconds: OIDC_SESSION_SECONDS });
    const fromEnvironment = environmentCredentials(this.env);
    if (fromEnvironment) return Promise.resolve(fromEnvironment);
    return (this.nodeRole ??= this.metadata.roleCredentials());
  }

  /** The RRSA exchange for this request, when it carries a token and RRSA is configured. */
  private rrsa(entry: InstanceConfig | undefined) {
    const oidcToken = this.request.serviceAccountToken;
    if (oidcToken === undefined) return undefined;
    const oidcProviderArn = entry?.rrsaOIDCProviderRoleARN ?? this.config.rrsa.oidcProviderArn;
    if (oidcProviderArn === undefined) {
      log.info('the request carries a service account token, but no OIDC provider is configured (rrsa.oidcProviderArn); using the node identity');
      return undefined;
    }
    const subject = serviceAccountOf(oidcToken);
    const annotated = this.request.serviceAccountAnnotations?.[ROLE_ARN_ANNOTATION];
    if (annotated !== undefined && !ROLE_ARN.test(annotated)) {
      throw new ProviderError(`${subject} has annotation ${ROLE_ARN_ANNOTATION}=${JSON.stringify(annotated)}, which is not a role ARN`, {
        hint: 'write it as acs:ram::<uid>:role/<name>',
      });
    }
    const roleArn = annotated ?? entry?.rrsaRoleARN ?? this.config.rrsa.roleArn;
    if (roleArn === undefined) {
      // Pods opt in with the annotation; the others pull as the node, unless that is forbidden.
      if (!this.config.rrsa.requireServiceAccount) {
        log.info(`${subject} has no ${ROLE_ARN_ANNOTATION} annotation and no default RRSA role is configured; using the node identity`);
        return undefined;
      }
      throw new ProviderError(`no RRSA role for ${subject}, and the config requires one (rrsa.requireServiceAccount)`, {
        hint: `annotate the service account with ${ROLE_ARN_ANNOTATION}, or set rrsa.roleArn (or rrsaRoleARN on the instance) in the provider config`,
      });
    }
    return { oidcProviderArn, roleArn, oidcToken, subject };
  }
}

/** "service account <namespace>/<name>" from the token's subject, for messages; the token is never shown. */
function serviceAccountOf(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    const match = typeof payload.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub) : null;
    if (match) return `service account ${match[1]}/${match[2]}`;
  } catch {
    // Not a readable JWT: STS will say so.
  }
  return "the pod's service account";
}
