import type { AccessKeyConfig } from '../config/config.js';
import type { Credentials } from './credentials.js';

/** An AccessKey pair as credentials; the id is shortened in messages all the same. */
export function accessKeyCredentials(accessKey: AccessKeyConfig, origin: string): Credentials {
  return {
    accessKeyId: accessKey.accessKeyId,
    accessKeySecret: accessKey.accessKeySecret,
    principal: `the AccessKey ${maskAccessKeyId(accessKey.accessKeyId)} from ${origin}`,
  };
}

/**
 * The standard ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (and optional _SECURITY_TOKEN)
 * variables, set through `env` in the kubelet's CredentialProviderConfig.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv): Credentials | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  const credentials = accessKeyCredentials({ accessKeyId, accessKeySecret }, 'the environment');
  if (env.ALIBABA_CLOUD_SECURITY_TOKEN) credentials.securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return credentials;
}

export function maskAccessKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '****' : `${accessKeyId.slice(0, 4)}****${accessKeyId.slice(-4)}`;
}
