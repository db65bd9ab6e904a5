import { DEFAULT_EXPIRE_DURATION_SECONDS, ROLE_ARN, type AccessKeyConfig, type InstanceConfig, type ProviderConfig } from '../config/config.js';
import { ProviderError } from '../errors.js';
import type { CredentialProviderRequest } from '../kubelet/request.js';
import { log } from '../log.js';

/** Service account annotation naming the role a pod's images are pulled with (RRSA). */
export const ROLE_ARN_ANNOTATION = 'aliyun-acr-credential-provider/role-arn';

/** Where the base credentials come from; decided without any I/O. */
export type BaseIdentity =
  | { kind: 'access-key'; accessKey: AccessKeyConfig; securityToken?: string; origin: string }
  | { kind: 'rrsa'; oidcProviderArn: string; roleArn: string; oidcToken: string; subject: string }
  | { kind: 'node-role' };

export interface IdentityPlan {
  base: BaseIdentity;
  /** A role assumed on top of the base identity. */
  assume?: { roleArn: string; durationSeconds: number; externalId?: string };
}

/**
 * Chooses the identity for a config entry (or for an image with no entry). The base
 * identity is the first of: the entry's AccessKey; the pod's service account token
 * exchanged through RRSA; the ALIBABA_CLOUD_ACCESS_KEY_* environment; the node's RAM role.
 * An entry's assumeRoleARN is then assumed on top of it.
 */
export function planIdentity(config: ProviderConfig, request: CredentialProviderRequest, entry: InstanceConfig | undefined, env: NodeJS.ProcessEnv): IdentityPlan {
  const plan: IdentityPlan = { base: baseIdentity(config, request, entry, env) };
  if (entry?.assumeRoleARN) {
    plan.assume = { roleArn: entry.assumeRoleARN, durationSeconds: entry.expireDuration ?? DEFAULT_EXPIRE_DURATION_SECONDS, externalId: entry.externalId };
  }
  return plan;
}

/**
 * A stable name for what the plan acts as, for cache keys: role ARNs, the service account
 * and AccessKey ids, never a secret (the AccessKey secret and tokens only enter as hashes,
 * so a changed secret is a new identity).
 */
export function identityKey(plan: IdentityPlan): string {
  const base = plan.base;
  const parts: string[] =
    base.kind === 'access-key'
      ? ['access-key', base.accessKey.accessKeyId, digest(`${base.accessKey.accessKeySecret}\n${base.securityToken ?? ''}`)]
      : base.kind === 'rrsa'
        ? ['rrsa', base.oidcProviderArn, base.roleArn, base.subject]
        : ['node-role'];
  if (plan.assume) parts.push('assume', plan.assume.roleArn, String(plan.assume.durationSeconds), plan.assume.externalId ?? '');
  return JSON.stringify(parts);
}

export function requireServiceAccountCheck(config: ProviderConfig, request: CredentialProviderRequest): void {
  if (config.rrsa.requireServiceAccount && request.serviceAccountToken === undefined) {
    throw new ProviderError('the config requires a service account token (rrsa.requireServiceAccount), but the request carries none', {
      hint: 'set tokenAttributes for this provider in the kubelet CredentialProviderConfig (apiVersion credentialprovider.kubelet.k8s.io/v1, kubelet 1.33+ with the KubeletServiceAccountTokenForCredentialProviders gate)',
    });
  }
}

function baseIdentity(config: ProviderConfig, request: CredentialProviderRequest, entry: InstanceConfig | undefined, env: NodeJS.ProcessEnv): BaseIdentity {
  if (entry?.customAccessKey) return { kind: 'access-key', accessKey: entry.customAccessKey, origin: `config ${entry.name}` };
  const rrsa = rrsaIdentity(config, request, entry);
  if (rrsa) return rrsa;
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (accessKeyId && accessKeySecret) {
    return { kind: 'access-key', accessKey: { accessKeyId, accessKeySecret }, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined, origin: 'the environment' };
  }
  return { kind: 'node-role' };
}

/** The RRSA exchange for this request, when it carries a token and RRSA is configured. */
function rrsaIdentity(config: ProviderConfig, request: CredentialProviderRequest, entry: InstanceConfig | undefined): BaseIdentity | undefined {
  const oidcToken = request.serviceAccountToken;
  if (oidcToken === undefined) return undefined;
  const oidcProviderArn = entry?.rrsaOIDCProviderRoleARN ?? config.rrsa.oidcProviderArn;
  if (oidcProviderArn === undefined) {
    log.info('the request carries a service account token, but no OIDC provider is configured (rrsa.oidcProviderArn); using the node identity');
    return undefined;
  }
  const subject = serviceAccountOf(oidcToken);
  const annotated = request.serviceAccountAnnotations?.[ROLE_ARN_ANNOTATION];
  if (annotated !== undefined && !ROLE_ARN.test(annotated)) {
    throw new ProviderError(`${subject} has annotation ${ROLE_ARN_ANNOTATION}=${JSON.stringify(annotated)}, which is not a role ARN`, {
      hint: 'write it as acs:ram::<uid>:role/<name>',
    });
  }
  const roleArn = annotated ?? entry?.rrsaRoleARN ?? config.rrsa.roleArn;
  if (roleArn === undefined) {
    // Pods opt in with the annotation; the others pull as the node, unless that is forbidden.
    if (!config.rrsa.requireServiceAccount) {
      log.info(`${subject} has no ${ROLE_ARN_ANNOTATION} annotation and no default RRSA role is configured; using the node identity`);
      return undefined;
    }
    throw new ProviderError(`no RRSA role for ${subject}, and the config requires one (rrsa.requireServiceAccount)`, {
      hint: `annotate the service account with ${ROLE_ARN_ANNOTATION}, or set rrsa.roleArn (or rrsaRoleARN on the instance) in the provider config`,
    });
  }
  return { kind: 'rrsa', oidcProviderArn, roleArn, oidcToken, subject };
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

/** SHA-256 prefix of a secret; node:crypto is only loaded for identities that have one. */
function digest(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex').slice(0, 16);
}
