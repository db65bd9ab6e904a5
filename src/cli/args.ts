import { ProviderError } from '../errors.js';
import type { LogLevel } from '../log.js';

export type CommandName = 'provide' | 'get-credentials' | 'docker-credential' | 'doctor';

export interface CommandLine {
  command: CommandName | 'version' | 'help';
  /** The command whose help was asked for. */
  helpFor?: CommandName;
  configPath?: string;
  verbosity?: LogLevel;
  /** get-credentials: the image; docker-credential: the action (get, list, store, erase, version). */
  operand?: string;
  showSecret?: boolean;
  json?: boolean;
  kubeletConfigPath?: string;
  binDir?: string;
}

interface Flag {
  name: string;
  takesValue: boolean;
  help: string;
  apply(line: CommandLine, value: string): void;
}

const COMMON: Flag[] = [
  { name: '--config', takesValue: true, help: 'provider config file (YAML or JSON); default $ALIYUN_ACR_CREDENTIAL_PROVIDER_CONFIG', apply: (l, v) => (l.configPath = v) },
  {
    name: '--v',
    takesValue: true,
    help: 'log verbosity 0-4 on stderr (default 1, or $ALIYUN_ACR_CREDENTIAL_PROVIDER_VERBOSITY): 2 one line per step, 4 debugging',
    apply: (l, v) => (l.verbosity = verbosityOf(v, '--v')),
  },
];

interface CommandSpec {
  usage: string;
  summary: string;
  operand?: string;
  flags: Flag[];
}

const COMMANDS: Record<CommandName, CommandSpec> = {
  provide: {
    usage: 'aliyun-acr-credential-provider [--config=FILE] [--v=LEVEL]',
    summary: 'kubelet mode (the default): a CredentialProviderRequest on stdin, one CredentialProviderResponse on stdout',
    flags: COMMON,
  },
  'get-credentials': {
    usage: 'aliyun-acr-credential-provider get-credentials IMAGE [--show-secret] [--config=FILE] [--v=LEVEL]',
    summary: 'print what the kubelet would get for IMAGE (password redacted unless --show-secret)',
    operand: 'IMAGE',
    flags: [...COMMON, { name: '--show-secret', takesValue: false, help: 'print the registry password', apply: (l) => (l.showSecret = true) }],
  },
  'docker-credential': {
    usage: 'aliyun-acr-credential-provider docker-credential get|list|store|erase|version   (or as docker-credential-aliyun-acr)',
    summary: 'the Docker credential-helper protocol: server URL on stdin, {"ServerURL","Username","Secret"} on stdout',
    operand: 'ACTION',
    flags: COMMON,
  },
  doctor: {
    usage: 'aliyun-acr-credential-provider doctor [--json] [--config=FILE] [--kubelet-config=FILE] [--bin-dir=DIR]',
    summary: "check this node: metadata, identity, each instance, the kubelet's provider config, the cache",
    flags: [
      ...COMMON,
      { name: '--json', takesValue: false, help: 'print the results as JSON', apply: (l) => (l.json = true) },
      { name: '--kubelet-config', takesValue: true, help: "the kubelet's CredentialProviderConfig (default: from the kubelet's flags)", apply: (l, v) => (l.kubeletConfigPath = v) },
      { name: '--bin-dir', takesValue: true, help: "the kubelet's provider directory (default: from the kubelet's flags)", apply: (l, v) => (l.binDir = v) },
    ],
  },
};

/** The help text of a command, or of the program. */
export function usage(command?: CommandName): string {
  if (command) {
    const spec = COMMANDS[command];
    return `Usage: ${spec.usage}\n\n${spec.summary}.\n\nOptions:\n${spec.flags.map((flag) => `  ${(flag.name + (flag.takesValue ? '=VALUE' : '')).padEnd(26)}${flag.help}`).join('\n')}\n  ${'--help'.padEnd(26)}print this help\n`;
  }
  const list = (Object.keys(COMMANDS) as CommandName[]).filter((name) => name !== 'provide').map((name) => `  ${name.padEnd(18)}${COMMANDS[name].summary}`);
  return `Kubelet image credential provider for Alibaba Cloud Container Registry (ACR). Logs go to stderr.

${usage('provide')}
Commands:
${list.join('\n')}

Run a command with --help for its options. --version prints the version.
`;
}

/**
 * Parses the arguments: the kubelet passes exactly the `args` of its config (kubelet mode);
 * people add a command. Invoked through a `docker-credential-*` name, the program is a
 * Docker credential helper.
 */
export function parseArgs(argv: string[], invokedAs: string): CommandLine {
  const args = [...argv];
  let command: CommandName = 'provide';
  if (/^docker-credential-/.test(invokedAs)) command = 'docker-credential';
  else if (args[0] !== undefined && args[0] in COMMANDS && args[0] !== 'provide') command = args.shift() as CommandName;

  const spec = COMMANDS[command];
  const line: CommandLine = { command };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '--help' || arg === '-h') return { command: 'help', helpFor: command === 'provide' ? undefined : command };
    if (arg === '--version') return { command: 'version' };
    if (!arg.startsWith('-') && spec.operand && line.operand === undefined) {
      line.operand = arg;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    const flag = spec.flags.find((candidate) => candidate.name === name || (name === '-v' && candidate.name === '--v'));
    if (!flag) {
      throw new ProviderError(`unknown argument ${JSON.stringify(arg)}${command === 'provide' ? '' : ` for ${command}`}`, { hint: `see ${command === 'provide' ? '' : `${command} `}--help` });
    }
    if (!flag.takesValue) {
      if (equals > 0) throw new ProviderError(`${name} takes no value`);
      flag.apply(line, '');
      continue;
    }
    const value = equals > 0 ? arg.slice(equals + 1) : args[++index];
    if (value === undefined || value === '') throw new ProviderError(`${name} needs a value`, { hint: 'see --help' });
    flag.apply(line, value);
  }
  if (spec.operand && line.operand === undefined) throw new ProviderError(`${command} needs ${spec.operand}`, { hint: `see ${command} --help` });
  return line;
}

export function verbosityOf(text: string, where: string): LogLevel {
  const level = Number(text);
  if (!Number.isInteger(level) || level < 0 || level > 4) throw new ProviderError(`${where} must be a whole number from 0 to 4`);
  return level as LogLevel;
}
