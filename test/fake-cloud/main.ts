/**
 * Fake cloud entry point. Runs inside a private network and mount namespace (see
 * test/support/cloud.ts), where 100.100.100.200 is on `lo` and /etc/hosts is a scratch file.
 *
 *   node --import tsx test/fake-cloud/main.ts --control <sock> --scenario <json>
 *        --hosts <scratch hosts file> --tls-cert <pem> --tls-key <pem>
 *        --token-cert <pem> --token-key <pem>
 *
 * Prints one line `{"ready":true}` on stdout once everything listens; exits when told to
 * over the control socket or when its stdin closes (the test process went away).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { listenControl } from './control.js';
import { ContainerRegistry } from './cr.js';
import { PersonalRegistry } from './cr-personal.js';
import { FaultTable } from './faults.js';
import { installHostsFile } from './hosts.js';
import { Identities } from './identities.js';
import { Imds } from './imds.js';
import { IssuedTokens } from './issued-tokens.js';
import { NonceCache } from './nonces.js';
import { RegistryTokenService } from './registry-token.js';
import { RequestLog } from './request-log.js';
import { killAllRuns } from './runner.js';
import type { Scenario } from './scenario.js';
import { listenApis, listenImds } from './servers.js';
import { SecurityTokenService } from './sts.js';

const { values } = parseArgs({
  options: {
    control: { type: 'string' },
    scenario: { type: 'string' },
    hosts: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'token-cert': { type: 'string' },
    'token-key': { type: 'string' },
  },
  strict: true,
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (!value) throw new Error(`fake-cloud: missing --${name}`);
  return value;
}

async function main(): Promise<void> {
  const scenario = JSON.parse(await readFile(required('scenario'), 'utf8')) as Scenario;
  await installHostsFile(required('hosts'), scenario.extraHosts);

  const log = new RequestLog();
  const faults = new FaultTable();
  const issued = new IssuedTokens();
  const identities = new Identities(scenario);
  const nonces = new NonceCache();
  const context = { log, faults };
  const tls = { cert: await readFile(required('tls-cert')), key: await readFile(required('tls-key')) };
  const tokenSigner = {
    key: createPrivateKey(await readFile(required('token-key'))),
    certificateBase64: new X509Certificate(await readFile(required('token-cert'))).raw.toString('base64'),
  };

  await listenImds(new Imds(scenario, identities), context);
  const state = { scenario, identities, nonces, issued };
  await listenApis(
    tls,
    {
      crEnterprise: new ContainerRegistry(state),
      crPersonal: new PersonalRegistry(state),
      sts: new SecurityTokenService(state),
      registryToken: new RegistryTokenService(state, tokenSigner),
    },
    context,
  );

  const shutdown = (): void => {
    killAllRuns();
    process.exit(0);
  };
  await listenControl(required('control'), { log, faults, issued, shutdown });
  process.stdin.on('end', shutdown).on('error', shutdown).resume();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killAllRuns();
  process.exit(1);
});
