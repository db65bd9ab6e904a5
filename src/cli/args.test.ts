import { describe, expect, it } from 'vitest';
import { parseArgs, usage } from './args.js';

const AS = 'aliyun-acr-credential-provider';

describe('parseArgs', () => {
  it.each([
    [[], AS, { command: 'provide' }],
    [['--config=/etc/p.yaml'], AS, { command: 'provide', configPath: '/etc/p.yaml' }],
    [['--config', '/etc/p.yaml', '--v=2'], AS, { command: 'provide', configPath: '/etc/p.yaml', verbosity: 2 }],
    [['-v', '3'], AS, { command: 'provide', verbosity: 3 }],
    [['--version'], AS, { command: 'version' }],
    [['--help'], AS, { command: 'help' }],
    [['get-credentials', 'acme-registry.cn-hangzhou.cr.aliyuncs.com/a', '--show-secret'], AS, { command: 'get-credentials', operand: 'acme-registry.cn-hangzhou.cr.aliyuncs.com/a', showSecret: true }],
    [['get-credentials', '--help'], AS, { command: 'help', helpFor: 'get-credentials' }],
    [['doctor', '--json', '--kubelet-config=/etc/k.yaml', '--bin-dir', '/opt/bin'], AS, { command: 'doctor', json: true, kubeletConfigPath: '/etc/k.yaml', binDir: '/opt/bin' }],
    [['docker-credential', 'get'], AS, { command: 'docker-credential', operand: 'get' }],
    [['get'], 'docker-credential-aliyun-acr', { command: 'docker-credential', operand: 'get' }],
    [['list', '--v=0'], 'docker-credential-aliyun-acr', { command: 'docker-credential', operand: 'list', verbosity: 0 }],
  ])('%j as %s', (argv, invokedAs, expected) => expect(parseArgs(argv, invokedAs)).toEqual(expected));

  it.each([
    [['--bogus'], /unknown argument "--bogus"/],
    [['get-credentials'], /get-credentials needs IMAGE/],
    [['get-credentials', 'a/b', '--json'], /unknown argument "--json" for get-credentials/],
    [['doctor', 'extra'], /unknown argument "extra" for doctor/],
    [['--show-secret'], /unknown argument "--show-secret"/],
    [['doctor', '--json=yes'], /--json takes no value/],
    [['--config'], /--config needs a value/],
    [['--config='], /--config needs a value/],
    [['--v=9'], /--v must be a whole number from 0 to 4/],
    [['docker-credential'], /docker-credential needs ACTION/],
  ])('refuses %j', (argv, message) => expect(() => parseArgs(argv, AS)).toThrow(message));
});

describe('usage', () => {
  it('lists every command, and each command has its own help', () => {
    for (const command of ['get-credentials', 'docker-credential', 'doctor'] as const) {
      expect(usage()).toContain(command);
      expect(usage(command)).toMatch(/^Usage: /);
      expect(usage(command)).toContain('--config');
    }
  });
});
