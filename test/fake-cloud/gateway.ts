import { randomUUID } from 'node:crypto';
import { jsonReply, type Reply } from './reply.js';

/** A request the Alibaba API gateway (or the service behind it) refuses. */
export class ApiFailure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    /** Extra top-level fields of the error body, e.g. AccessDeniedDetail. */
    readonly extra: Record<string, unknown> = {},
  ) {}
}

export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** The gateway's error body: `{"RequestId","HostId","Code","Message","Recommend"}`. */
export function failureReply(failure: ApiFailure, host: string, product: string): Reply {
  const requestId = newRequestId();
  return jsonReply(
    failure.status,
    {
      RequestId: requestId,
      HostId: host,
      Code: failure.code,
      Message: failure.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(failure.code)}&product=${product}&requestId=${requestId}`,
      ...failure.extra,
    },
    failure.code,
  );
}
