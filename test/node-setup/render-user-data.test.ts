// render-user-data.sh: the user data it makes is small, holds install.sh and the given
// parameters only, and sets a node up exactly like install.sh.
import { afterAll, describe, expect, it } from 'vitest';
import { binaryArgs, createScratchNode, fakeRelease, STATE_DIR, treeDiff, useReleaseServer, type ScratchNode } from './scratch-node.js';
import { ACK_FLAGS_BEFORE, FULL_SETUP_ARGS, PATHS } from './scenarios.js';
import { argPairs, installShWithoutComments, paramsFile, removeRenderDirs, renderUserData, userDataParts } from './user-data.js';

const V1 = fakeRelease('1.0.0');
const LIMIT = 16 * 1024;
const ENV_SECRET = 'env-secret-must-not-leak-0000';
const AK_SECRET = 'explicit-access-key-secret-1111';

const server = useReleaseServer([V1]);
afterAll(removeRenderDirs);

const ackNode = (): ScratchNode => createScratchNode({ flagsFile: { path: PATHS.ackFlags, content: ACK_FLAGS_BEFORE } });

describe('render-user-data.sh', () => {
  it('renders user data under 16 KB that sets a node up exactly like install.sh; the kept copy of install.sh uninstalls it', async () => {
    const args = [...binaryArgs(server, V1), ...FULL_SETUP_ARGS];
    const rendered = await renderUserData({ 'params.env': paramsFile(args) });
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    expect(Buffer.byteLength(rendered.stdout)).toBeLessThan(LIMIT);

    const byScript = ackNode();
    const byUserData = ackNode();
    const original = byUserData.snapshot();
    expect((await byScript.script('install.sh', args)).code).toBe(0);
    const result = await byUserData.run(['bash', rendered.path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The state keeps a copy of the script that ran: the user data's has no comments.
    expect(treeDiff(byScript.snapshot(), byUserData.snapshot(), [`${STATE_DIR}/install.sh`])).toEqual([]);
    expect(byUserData.takeSystemctlCalls()).toEqual(byScript.takeSystemctlCalls());
    expect(byUserData.tmpLeftovers()).toEqual([]);

    expect((await byUserData.run(['bash', `${STATE_DIR}/install.sh`, '--uninstall'])).code).toBe(0);
    expect(treeDiff(original, byUserData.snapshot())).toEqual([]);
  });

  it('holds install.sh without comments and the given parameters, nothing from the environment', async () => {
    const args = [...binaryArgs(server, V1), ...FULL_SETUP_ARGS];
    const rendered = await renderUserData({ 'params.env': paramsFile(args) }, { ALIBABA_CLOUD_ACCESS_KEY_SECRET: ENV_SECRET, HTTPS_PROXY: 'http://user:pw@proxy' });
    const { installSh, rest } = userDataParts(rendered.stdout);
    expect(installSh).toBe(installShWithoutComments());
    // The renderer's last lines: install.sh with one '--name=value' word per parameter.
    const words = argPairs(args).map(([name, value]) => ` \\\n  '${name}=${value}'`);
    expect(rest.slice(rest.indexOf('bash "$work/install.sh"'))).toBe(`bash "$work/install.sh"${words.join('')}\n`);
    expect(rendered.stdout).not.toContain(ENV_SECRET);
    expect(rendered.stdout).not.toContain('user:pw');
    expect(rest).not.toContain('customAccessKey');
  });

  it('an AccessKey given in the parameters goes in, with one warning on stderr', async () => {
    const instance = `instanceId=cri-owned000000001;regionId=cn-shanghai;customAccessKey=LTAI5tExampleKeyId0000;customAccessKeySecret=${AK_SECRET}`;
    const rendered = await renderUserData({ 'params.env': paramsFile([...binaryArgs(server, V1), '--instance', instance]) });
    expect(rendered.code).toBe(0);
    expect(rendered.stderr).toMatch(/^render-user-data\.sh: warning: the user data holds an AccessKey secret \(customAccessKeySecret\)[^\n]*prefer assumeRoleARN or RRSA\n$/);
    expect(rendered.stdout).toContain(AK_SECRET);
  });

  it('PROVIDER_CONFIG_FILE (relative to the parameter file) is embedded and installed as it is', async () => {
    const own = 'useVpcEndpoint: true\ninstances:\n  - instanceId: cri-owned000000001\n    regionId: cn-shanghai\n';
    const params = `${paramsFile(binaryArgs(server, V1))}PROVIDER_CONFIG_FILE=provider.yaml\n`;
    const rendered = await renderUserData({ 'params.env': params, 'provider.yaml': own });
    expect(rendered.stderr).toBe('');
    expect(rendered.stdout).toContain(own);
    const node = ackNode();
    expect((await node.run(['bash', rendered.path])).code).toBe(0);
    expect(node.read(PATHS.providerConfig).toString('utf8')).toBe(own);
  });

  it.each([
    ['an unknown key', 'BINRAY=x', /^install\.sh: error: unknown parameter --binray/],
    ['a bad IP address', 'HOSTS="300.1.1.1 registry.acme.example"', /"300\.1\.1\.1" is not an IPv4 or IPv6 address/],
    ['a line that is not KEY=value', 'binary https://example.com/x', /params\.env:1: not a KEY=value line/],
  ])('%s stops the render: one line on stderr, no user data', async (_name, line, error) => {
    const rendered = await renderUserData({ 'params.env': `${line}\n${paramsFile(binaryArgs(server, V1))}` });
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toMatch(/^[^\n]+\n$/);
    expect(rendered.stderr).toMatch(error);
    expect(rendered.stdout).toBe('');
  });
});

