import { ProviderError } from '../errors.js';
import type { LogLevel } from '../log.js';

export interface CommandLine {
  command: 'provide' | 'version' | 'help';
  configPath?: string;
  verbosity?: LogLevel;
}

export const USAGE = `Usage: aliyun-acr-credential-provider [--config=FILE] [--v=LEVEL]

Kubelet image credential provider for Alibaba Cloud Container Registry (ACR).
The kubelet runs it with a CredentialProviderRequest (JSON) on stdin and reads one
CredentialProviderResponse from stdout. Logs go to stderr.

Options:
  --config=FILE   provider config (YAML or JSON): instances, endpoints, expiringThreshold
  --v=LEVEL       log verbosity 0-4 (default 1: warnings and notes; 2: one line per step)
  --version       print the version and exit
  --help          print this help and exit
`;

/** Parses the provider's own arguments; the kubelet passes exactly the `args` of its config. */
export function parseArgs(argv: string[]): CommandLine {
  const result: CommandLine = { command: 'provide' };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const [flag, inline] = splitFlag(arg);
    const value = (): string => {
      const next = inline ?? argv[++index];
      if (next === undefined || next === '') throw new ProviderError(`${flag} needs a value`, { hint: 'see --help' });
      return next;
    };
    switch (flag) {
      case '--version':
        result.command = 'version';
        break;
      case '--help':
      case '-h':
        result.command = 'help';
        break;
      case '--config':
        result.configPath = value();
        break;
      case '--v':
      case '-v': {
        const level = Number(value());
        if (!Number.isInteger(level) || level < 0 || level > 4) throw new ProviderError(`${flag} must be a whole number from 0 to 4`);
        result.verbosity = level as LogLevel;
        break;
      }
      default:
        throw new ProviderError(`unknown argument ${JSON.stringify(arg)}`, { hint: 'see --help' });
    }
  }
  return result;
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return equals > 0 && arg.startsWith('-') ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg, undefined];
}
