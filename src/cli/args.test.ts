import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';

describe('parseArgs', () => {
  it.each([
    [[], { command: 'provide' }],
    [['--config=/etc/p.yaml'], { command: 'provide', configPath: '/etc/p.yaml' }],
    [['--config', '/etc/p.yaml', '--v=2'], { command: 'provide', configPath: '/etc/p.yaml', verbosity: 2 }],
    [['--version'], { command: 'version' }],
    [['--help'], { command: 'help' }],
  ])('%j', (argv, expected) => expect(parseArgs(argv)).toEqual(expected));

  it.each([
    [['--bogus'], /unknown argument "--bogus"/],
    [['get-credentials'], /unknown argument "get-credentials"/],
    [['--config'], /--config needs a value/],
    [['--config='], /--config needs a value/],
    [['--v=9'], /--v must be a whole number from 0 to 4/],
  ])('refuses %j', (argv, message) => expect(() => parseArgs(argv)).toThrow(message));
});
