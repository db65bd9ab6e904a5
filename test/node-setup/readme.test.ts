// node-setup/README.md shows commands that work and documents every install.sh parameter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { NODE_SETUP_DIR, runCommand, SYSTEM_PATH } from './scratch-node.js';
import { removeRenderDirs, renderUserData } from './user-data.js';

const readme = readFileSync(join(NODE_SETUP_DIR, 'README.md'), 'utf8');
const shBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);

afterAll(removeRenderDirs);

it('the install example passes install.sh --validate-only', async () => {
  const example = shBlocks.find((block) => block.startsWith('sudo ./install.sh'));
  if (!example) throw new Error('no install example');
  const command = example.replace('sudo ./install.sh', `bash ${join(NODE_SETUP_DIR, 'install.sh')} --validate-only`);
  const result = await runCommand('bash', ['-c', command], { env: { PATH: SYSTEM_PATH }, cwd: NODE_SETUP_DIR });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

it('the parameter file example renders', async () => {
  const example = shBlocks.find((block) => block.startsWith('# pool-a.env'));
  if (!example) throw new Error('no parameter file example');
  const rendered = await renderUserData({ 'params.env': example });
  expect(rendered.stderr).toBe('');
  expect(rendered.code).toBe(0);
});

it('the parameter table lists every parameter install.sh takes, and no other', () => {
  const installSh = readFileSync(join(NODE_SETUP_DIR, 'install.sh'), 'utf8');
  const setParam = installSh.slice(installSh.indexOf('set_param() {'), installSh.indexOf('\n}\n', installSh.indexOf('set_param() {')));
  const accepted = [...setParam.matchAll(/^ {4}(--[a-z0-9-]+)\)/gm)].map((match) => match[1]);
  const section = readme.slice(readme.indexOf('## Parameters'), readme.indexOf('## Files'));
  const documented = [...section.matchAll(/^\| `(--[a-z0-9-]+)/gm)].map((match) => match[1]);
  expect(documented.sort()).toEqual([...accepted, '--validate-only', '--uninstall'].sort());
});
