// Every node-setup script, and the user data the renderer makes, passes shellcheck. Without
// shellcheck the test is skipped, except under CI=true, where it fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { NODE_SETUP_DIR } from './scratch-node.js';
import { paramsFile, removeRenderDirs, renderUserData } from './user-data.js';

const installed = spawnSync('shellcheck', ['--version']).status === 0;
const required = process.env.CI === 'true' || process.env.CI === '1';
const scripts = readdirSync(NODE_SETUP_DIR).filter((name) => name.endsWith('.sh')).map((name) => join(NODE_SETUP_DIR, name));

afterAll(removeRenderDirs);

function expectShellcheckClean(files: string[]): void {
  if (!installed) throw new Error('shellcheck is not installed (scripts/setup-machine.sh installs it)');
  const result = spawnSync('shellcheck', ['--severity=style', ...files], { encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}

if (installed || required) {
  it('install.sh, uninstall.sh and render-user-data.sh are shellcheck-clean', () => {
    expect(scripts.map((path) => path.slice(NODE_SETUP_DIR.length)).sort()).toEqual(['install.sh', 'render-user-data.sh', 'uninstall.sh']);
    expectShellcheckClean(scripts);
  });

  it('the rendered user data is shellcheck-clean', async () => {
    const args = ['--binary', 'https://acme-releases.oss-cn-hangzhou.aliyuncs.com/provider-{arch}', '--sha256-amd64', 'a'.repeat(64), '--hosts', '10.0.0.5 registry.acme.example'];
    const rendered = await renderUserData({ 'params.env': paramsFile(args), 'provider.yaml': 'useVpcEndpoint: true\n' });
    expect(rendered.code).toBe(0);
    expectShellcheckClean([rendered.path]);
  });
} else {
  it.skip('shellcheck (skipped: shellcheck is not installed and CI is not set)', () => undefined);
}
