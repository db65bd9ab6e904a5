// Fault tolerance of the built binary against the fake cloud: throttling, server errors,
// stalls, unreadable bodies, resets, refusals, untrusted TLS and stale-while-error, each
// asserted through what the kubelet sees (exit code, stdout, stderr) and the API calls made.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImdsResult, ImdsStep } from '../fake-cloud/clients/imds-raw.js';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { startFakeCloud, type Fault, type FakeCloud, type LoggedRequest, type RunResult } from '../support/cloud.js';
import { expectOneLineFailure, stderrLinesOf } from '../support/expectations.js';
import { expectKubeletAccepts, type CredentialProviderResponse } from '../support/kubelet-rules.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const ACME = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const IMAGE = `${ACME}/team/app`;
const TOKEN = 'GetAuthorizationToken';
const NODE_ACCOUNT = '1000000000000001';
const WORKER_ROLE = `acs:ram::${NODE_ACCOUNT}:role/kubernetesworkerrole-fake`;
const RRSA_ROLE = `acs:ram::${NODE_ACCOUNT}:role/team-app-pull`;
const OIDC_PROVIDER = `acs:ram::${NODE_ACCOUNT}:oidc-provider/ack-rrsa-cfake`;
const ISSUER = 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/cfake';
const AUDIENCE = 'sts.aliyuncs.com';
const SUBJECT = 'system:serviceaccount:team:app';
const IMDS_CLIENT = fileURLToPath(new URL('../fake-cloud/clients/imds-raw.ts', import.meta.url));
/**
 * A 1 h token with expiringThreshold 30m has no fresh window (1 h - 2 × 30m ≤ 0), so the
 * refresh time stored with it is its write time: the next run must refresh, while the
 * token still has about an hour left and stays usable if that refresh fails.
 */
const DUE_FOR_REFRESH = 'expiringThreshold: "30m"\ndeadline: "3s"\n';
/** The start of the one line a failed run may print at the default verbosity. */

let cloud: FakeCloud;
/** The worker role may list instances but not fetch tokens. */
let denied: FakeCloud;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'acr-provider-faults-'));
  [cloud, denied] = await Promise.all([
    // An RRSA role too, so the secrets test sends a service account token that reaches STS.
    startFakeCloud({
      roles: [{ arn: RRSA_ROLE, oidcTrust: { oidcProviderArn: OIDC_PROVIDER, subjects: [SUBJECT] } }],
      oidcProviders: [{ arn: OIDC_PROVIDER, issuer: ISSUER, audiences: [AUDIENCE] }],
      grants: { [RRSA_ROLE]: [{ actions: ['cr:*'] }] },
    }),
    startFakeCloud({ grants: { [WORKER_ROLE]: [{ actions: ['cr:ListInstance', 'cr:ListInstanceEndpoint'] }] } }),
  ]);
});
afterAll(async () => {
  await Promise.all([cloud?.stop(), denied?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  // Each test starts on a node whose token cache is empty, with a clean log and no faults.
  await Promise.all([cloud.clearProviderCache(), cloud.clearRequests(), cloud.clearFaults()]);
});

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

interface ProvideOptions {
  config?: string;
  verbosity?: number;
  extra?: Record<string, unknown>;
  env?: Record<string, string>;
  target?: FakeCloud;
}

/** One kubelet request for IMAGE, as the kubelet runs the plugin. */
function provide(options: ProvideOptions = {}): Promise<RunResult> {
  const args = [...(options.config ? [`--config=${options.config}`] : []), ...(options.verbosity === undefined ? [] : [`--v=${options.verbosity}`])];
  return (options.target ?? cloud).run([providerBinary, ...args], { stdin: kubeletRequest(IMAGE, V1, options.extra), env: options.env });
}

/** A successful run: exit 0, stderr as expected (nothing by default), a response the kubelet accepts. */
function expectServed(run: RunResult, stderrLines: RegExp[] = []): CredentialProviderResponse {
  expect(run.code, run.stderr).toBe(0);
  expect(stderrLinesOf(run)).toEqual(stderrLines.map((line) => expect.stringMatching(line)));
  return expectKubeletAccepts(run.stdout, V1, IMAGE);
}

function passwordOf(response: CredentialProviderResponse): string {
  const password = response.auth?.[ACME]?.password;
  if (password === undefined) throw new Error(`no credential for ${ACME}`);
  return password;
}

/** A failed run as the kubelet should see it: exit 1, empty stdout, one error line, no stack. */


/** The non-IMDS calls in the order they arrived (a stalled one is logged only when it answers). */
async function apiCalls(target: FakeCloud = cloud): Promise<LoggedRequest[]> {
  const requests = (await target.requests()).filter((r) => r.service !== 'imds');
  return requests.sort((a, b) => a.time.localeCompare(b.time));
}

const actions = (requests: LoggedRequest[]) => requests.map((r) => r.action);

describe('transient faults are retried until the call succeeds', () => {
  // Tokens of the default image with no config: resolution first, then the token call that faults.
  const RESOLUTION = ['ListInstance', 'ListInstanceEndpoint'];
  const SLOW_MS = 2500;
  const cases: { name: string; fault: Omit<Fault, 'service' | 'action'>; attempts: number; config?: string }[] = [
    { name: 'throttling twice', fault: { kind: 'throttle', times: 2 }, attempts: 3 },
    { name: 'an HTTP 500 once', fault: { kind: 'server-error', times: 1 }, attempts: 2 },
    // requestTimeout well under the stall, so the first attempt times out instead of waiting.
    { name: 'a stall past requestTimeout once', fault: { kind: 'slow', delayMs: SLOW_MS, times: 1 }, attempts: 2, config: 'requestTimeout: "1s"\n' },
    { name: "a proxy's HTML 503 page once", fault: { kind: 'html-503', times: 1 }, attempts: 2 },
    { name: 'a truncated JSON body once', fault: { kind: 'truncated-json', times: 1 }, attempts: 2 },
    { name: 'a garbage body once', fault: { kind: 'garbage', times: 1 }, attempts: 2 },
  ];

  it.each(cases)('$name', async ({ fault, attempts, config }) => {
    await cloud.fault({ service: 'cr', action: TOKEN, ...fault });
    const run = await provide({ config: config === undefined ? undefined : configFile(`${fault.kind}.yaml`, config) });
    const response = expectServed(run);
    expect(run.wallMs).toBeLessThan(10_000);
    // The stalled request is logged when the fake finally answers it, after the run ended.
    await vi.waitFor(async () => expect(actions(await apiCalls())).toEqual([...RESOLUTION, ...Array<string>(attempts).fill(TOKEN)]), { timeout: SLOW_MS + 2000, interval: 100 });
    const tokenCalls = (await apiCalls()).filter((r) => r.action === TOKEN);
    expect(tokenCalls.map((r) => r.fault)).toEqual([...Array<string>(attempts - 1).fill(fault.kind), undefined]);
    expect(tokenCalls.at(-1)?.status).toBe(200);
    // The password served is the one the successful call was issued.
    expect((await cloud.issuedTokens()).map((t) => t.password)).toContain(passwordOf(response));
  });
});

describe('faults that must end the run', () => {
  it('gives up on endless throttling at the configured deadline', async () => {
    await cloud.fault({ service: 'cr', kind: 'throttle' });
    const run = await provide({ config: configFile('deadline.yaml', 'deadline: "3s"\n') });
    const line = expectOneLineFailure(run, /ListInstance on cr\.cn-hangzhou\.aliyuncs\.com failed: Throttling\.User .*\(gave up on ListInstance on cr\.cn-hangzhou\.aliyuncs\.com after \d+ attempts, at the 3 s deadline\)/);
    // It stops as soon as the randomly drawn backoff would not fit before the deadline, which
    // in practice is 1-2.7 s into a 3 s deadline; never past it.
    expect(run.wallMs).toBeLessThan(3500);
    const calls = await apiCalls();
    // The first three backoffs (at most 0.2 + 0.4 + 0.8 s) always fit in 3 s.
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.every((r) => r.action === 'ListInstance' && r.fault === 'throttle')).toBe(true);
    expect(line).toContain(`after ${calls.length} attempts`);
  });

  it('does not retry a missing permission', async () => {
    await denied.clearProviderCache();
    await denied.clearRequests();
    const run = await provide({ target: denied });
    const line = expectOneLineFailure(run, /the node's RAM role "KubernetesWorkerRole-fake" is not allowed to call cr:GetAuthorizationToken on instance cri-acme0000000001 \(Forbidden\.RAM\) \(request id [^)]+\) - add cr:GetAuthorizationToken/);
    expect(line).not.toMatch(/gave up/);
    const calls = await apiCalls(denied);
    expect(actions(calls)).toEqual(['ListInstance', 'ListInstanceEndpoint', TOKEN]);
    expect(calls.at(-1)).toMatchObject({ status: 403, errorCode: 'Forbidden.RAM' });
  });

  it('fails in one line, within seconds, when the metadata service resets every connection', async () => {
    await cloud.fault({ service: 'imds', kind: 'reset' });
    const run = await provide();
    expectOneLineFailure(run, /cannot reach the ECS metadata service at 100\.100\.100\.200 .*gave up on ECS metadata PUT \/latest\/api\/token after 3 attempts/);
    // 3 attempts with 200/400 ms backoffs: seconds, not the 20 s default deadline.
    expect(run.wallMs).toBeLessThan(5000);
    const requests = await cloud.requests();
    expect(requests.every((r) => r.service === 'imds' && r.fault === 'reset')).toBe(true);
    // The token PUT fails for good after its 3 attempts, so no metadata read is tried.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array<string>(3).fill('PUT /latest/api/token'));
  });

  it('refuses an already expired token, stores nothing, and fetches again next time', async () => {
    await cloud.fault({ service: 'cr', action: TOKEN, kind: 'expired-token', times: 1 });
    const failed = await provide();
    expectOneLineFailure(failed, /ACR returned a token that expired at .*before the node's clock .* - check the node's clock \(NTP\)/);
    expect(actions(await apiCalls())).toEqual(['ListInstance', 'ListInstanceEndpoint', TOKEN]);

    // The fault was for one call: the next run gets a good token.
    await cloud.clearRequests();
    const response = expectServed(await provide());
    // The instance lookup was cached, the token was not: only the token is fetched again.
    expect(actions(await apiCalls())).toEqual([TOKEN]);
    const [expired, fresh] = (await cloud.issuedTokens()).slice(-2);
    expect(fresh?.password).toBe(passwordOf(response));
    expect(expired?.expireTimeMs).toBeLessThan(Date.now());
  });

  it('does not retry an endpoint whose TLS certificate the node does not trust', async () => {
    // A CA of our own in place of the test CA: the fake's certificate is then unknown.
    const otherCa = join(dir, 'other-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'other-ca.key'), '-out', otherCa, '-subj', '/CN=Some Other CA', '-days', '1'], { stdio: 'ignore' });
    const run = await provide({ env: { NODE_EXTRA_CA_CERTS: otherCa } });
    // The handshake fails before any HTTP request, so the fake logs no CR call at all (only
    // the 3 plain-HTTP metadata reads); the absence of "gave up after N attempts" is what
    // shows there was a single attempt.
    expect(await apiCalls()).toEqual([]);
    expect((await cloud.requests()).map((r) => r.service)).toEqual(['imds', 'imds', 'imds']);
    expect(run.stderr).not.toMatch(/gave up/);
    expectOneLineFailure(run, /ListInstance on cr\.cn-hangzhou\.aliyuncs\.com .*TLS certificate/);
  });
});

describe('stale while error', () => {
  it('serves the cached token for a minute when the refresh fails', async () => {
    const config = configFile('stale.yaml', DUE_FOR_REFRESH);
    const cachedPassword = passwordOf(expectServed(await provide({ config })));
    await cloud.fault({ service: 'cr', action: TOKEN, kind: 'server-error' });
    await cloud.clearRequests();
    const run = await provide({ config });
    const response = expectServed(run, [
      /^aliyun-acr-credential-provider: warning: serving the cached token for instance cri-acme0000000001 \(expires .*\) because the refresh failed: GetAuthorizationToken .*InternalError.*gave up/,
    ]);
    expect(passwordOf(response)).toBe(cachedPassword);
    expect(response.cacheDurationMs).toBeGreaterThan(0);
    expect(response.cacheDurationMs).toBeLessThanOrEqual(60_000);
    expect(run.wallMs).toBeLessThan(5000);
    const calls = await apiCalls();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every((r) => r.action === TOKEN && r.fault === 'server-error')).toBe(true);
  });
});

describe('secrets on stderr', () => {
  /** A service account token as the kubelet sends it; the fake does not check the signature. */
  function serviceAccountToken(subject: string): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${part({ alg: 'RS256', kid: 'fake' })}.${part({ iss: ISSUER, aud: [AUDIENCE], sub: subject, iat: now, exp: now + 3600 })}.${randomBytes(32).toString('base64url')}`;
  }

  /** The node role's credentials, read from IMDS inside the namespace as any process there could. */
  async function nodeRoleSecrets(): Promise<string[]> {
    const steps: ImdsStep[] = [
      { method: 'PUT', path: '/latest/api/token', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '60' } },
      { method: 'GET', path: `/latest/meta-data/ram/security-credentials/${cloud.scenario.node.roleName ?? ''}`, tokenFromStep: 0 },
    ];
    const result = await cloud.run([process.execPath, '--import', 'tsx', IMDS_CLIENT], { stdin: JSON.stringify(steps) });
    expect(result.code, result.stderr).toBe(0);
    const credentials = JSON.parse((JSON.parse(result.stdout) as ImdsResult[])[1]?.body ?? '') as { AccessKeySecret: string; SecurityToken: string };
    return [credentials.AccessKeySecret, credentials.SecurityToken];
  }

  it('never logs a password, the role secret, its security token or a service account token, even at --v=4', async () => {
    const runs: { name: string; run: RunResult }[] = [];
    const record = async (name: string, options: ProvideOptions, check: (run: RunResult) => unknown) => {
      const run = await provide({ verbosity: 4, ...options });
      check(run);
      runs.push({ name, run });
    };
    const succeeds = (run: RunResult) => expect(run.code, run.stderr).toBe(0);
    const fails = (run: RunResult) => expect(run.code).toBe(1);
    const stale = configFile('stale.yaml', DUE_FOR_REFRESH);
    const rrsa = configFile('secrets-rrsa.yaml', `rrsa:\n  oidcProviderArn: ${OIDC_PROVIDER}\n  roleArn: ${RRSA_ROLE}\n`);
    const saTokens = [serviceAccountToken(SUBJECT), serviceAccountToken('system:serviceaccount:team:intruder')];

    await record('fresh token', {}, succeeds);
    await record('cache hit', {}, succeeds);
    await cloud.clearProviderCache();
    await record('token due for refresh', { config: stale }, succeeds);
    await cloud.fault({ service: 'cr', action: TOKEN, kind: 'server-error' });
    await record('stale while error', { config: stale }, (run) => expect(run.stderr).toMatch(/warning: serving the cached token/));
    await cloud.clearProviderCache();
    await record('server errors until the deadline', { config: stale }, fails);
    await cloud.clearFaults();
    await cloud.fault({ service: 'cr', action: TOKEN, kind: 'expired-token', times: 1 });
    await record('expired token', {}, fails);
    await cloud.fault({ service: 'imds', kind: 'reset', times: 3 });
    await record('metadata unreachable', {}, fails);
    await record('RRSA', { config: rrsa, extra: { serviceAccountToken: saTokens[0] } }, succeeds);
    await record('RRSA refused', { config: rrsa, extra: { serviceAccountToken: saTokens[1] } }, fails);
    expect((await cloud.requests()).some((r) => r.action === 'AssumeRoleWithOIDC' && r.status === 200)).toBe(true);

    // Whole secrets, and a token's signature on its own, so a cut or reformatted token is caught too.
    const secrets = [
      ...(await cloud.issuedTokens()).map((t) => ({ what: 'registry password', value: t.password })),
      ...(await nodeRoleSecrets()).map((value) => ({ what: 'node role credential', value })),
      ...saTokens.flatMap((token) => [token, token.split('.')[2] ?? token]).map((value) => ({ what: 'service account token', value })),
    ];
    expect(secrets.filter((s) => s.what === 'registry password').length).toBeGreaterThanOrEqual(4);
    const leaks = runs.flatMap(({ name, run }) => secrets.filter((s) => run.stderr.includes(s.value)).map((s) => `${name}: ${s.what}`));
    expect(leaks).toEqual([]);
    // Every run did log at --v=4 (even a cache hit says where its token came from): the check above is not vacuous.
    expect(runs.every(({ run }) => run.stderr !== '')).toBe(true);
  });
});
