/**
 * Real Alibaba Cloud region ids the fake cloud serves. The TLS certificate and the
 * namespace's /etc/hosts cover exactly these, so a test using another region fails at
 * name resolution instead of silently reaching the internet.
 */
export const TEST_REGIONS = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-qingdao',
  'cn-chengdu',
  'cn-guangzhou',
  'cn-hongkong',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'us-east-1',
  'us-west-1',
  'eu-central-1',
  'eu-west-1',
  'me-east-1',
  'cn-shanghai-finance-1',
] as const;

export type TestRegion = (typeof TEST_REGIONS)[number];

/** The central STS endpoint, the only API host outside a region. */
export const CENTRAL_STS_HOST = 'sts.aliyuncs.com';

/** The region of a CR API host `cr.<region>.aliyuncs.com` / `cr-vpc.<region>.aliyuncs.com`; undefined for other hosts. */
export function crEndpointRegion(hostName: string): string | undefined {
  return /^cr(?:-vpc)?\.([a-z0-9-]+)\.aliyuncs\.com$/.exec(hostName)?.[1];
}

/** The region of an ACR Enterprise registry token service host `dockerauth-ee.<region>.aliyuncs.com`. */
export function dockerAuthRegion(hostName: string): string | undefined {
  return /^dockerauth-ee\.([a-z0-9-]+)\.aliyuncs\.com$/.exec(hostName)?.[1];
}

/** Every API host name the fake answers, in the order they are written to /etc/hosts. */
export function apiHostNames(): string[] {
  const regional = TEST_REGIONS.flatMap((region) =>
    ['cr', 'cr-vpc', 'sts', 'sts-vpc', 'dockerauth-ee'].map((product) => `${product}.${region}.aliyuncs.com`),
  );
  return [CENTRAL_STS_HOST, ...regional];
}
