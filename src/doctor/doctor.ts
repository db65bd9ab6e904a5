import type { CommandLine } from '../cli/args.js';
import { createCloud } from '../cloud.js';
import { print } from '../cli/output.js';
import type { ProviderConfig } from '../config/config.js';
import { planIdentity } from '../identity/plan.js';
import { VERSION } from '../version.js';
import { cacheChecks } from './cache-checks.js';
import type { CheckResult } from './check.js';
import { instanceChecks } from './instance-checks.js';
import { kubeletChecks } from './kubelet-checks.js';
import { nodeChecks } from './node-checks.js';

/**
 * `doctor`: checks this node the way a pull would need it and says what to fix. Every check
 * asks the cloud afresh (no cache). Exit code 1 when anything failed.
 */
export async function doctor(line: CommandLine, config: ProviderConfig, configPath: string | undefined): Promise<number> {
  const request = { apiVersion: 'credentialprovider.kubelet.k8s.io/v1' as const, image: 'doctor/check' };
  const cloud = createCloud(config, request, process.env);
  const node = await nodeChecks(cloud, planIdentity(config, request, undefined, process.env));
  const instances = await instanceChecks(cloud, config);
  const results: CheckResult[] = [
    { check: 'config', status: 'ok', message: configPath ? `provider config ${configPath}` : 'no provider config: images are served by instance name' },
    ...node.results,
    ...instances.results,
    ...(await kubeletChecks({ configPath: line.kubeletConfigPath, binDir: line.binDir }, config, instances.domains, node.regionId)),
    ...(await cacheChecks(config)),
  ];
  const failed = results.some((result) => result.status === 'fail');
  await print(line.json ? `${JSON.stringify({ version: VERSION, ok: !failed, checks: results }, null, 2)}\n` : humanReport(results));
  return failed ? 1 : 0;
}

function humanReport(results: CheckResult[]): string {
  const label = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
  const width = Math.max(...results.map((result) => result.check.length));
  const lines = results.flatMap((result) => {
    const line = `${label[result.status]}  ${result.check.padEnd(width)}  ${result.message}`;
    return result.hint ? [line, `${' '.repeat(width + 8)}fix: ${result.hint}`] : [line];
  });
  const count = (status: CheckResult['status']) => results.filter((result) => result.status === status).length;
  return `aliyun-acr-credential-provider ${VERSION} doctor\n${lines.join('\n')}\n\n${results.length} checks: ${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed\n`;
}
