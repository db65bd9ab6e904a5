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

function maskAccessKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '****' : `${accessKeyId.slice(0, 4)}****${accessKeyId.slice(-4)}`;
}
