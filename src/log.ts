/**
 * One line per event on stderr; stdout belongs to the kubelet response alone.
 * Never pass secrets (tokens, AccessKey secrets, security tokens) to these functions.
 */
export type LogLevel = 0 | 1 | 2 | 3 | 4;

let verbosity: LogLevel = 1;

export function setVerbosity(level: LogLevel): void {
  verbosity = level;
}

function write(kind: string, message: string): void {
  process.stderr.write(`aliyun-acr-credential-provider: ${kind}${message.replace(/\s*\n\s*/g, ' ')}\n`);
}

export const log = {
  /** Always shown: the run failed. */
  error(message: string): void {
    write('error: ', message);
  },
  /** Shown from verbosity 1 (the default): something the operator should know. */
  warn(message: string): void {
    if (verbosity >= 1) write('warning: ', message);
  },
  /** Shown from verbosity 1 (the default): what the run did, when it is worth a line. */
  notice(message: string): void {
    if (verbosity >= 1) write('', message);
  },
  /** Shown from verbosity 2: one line per step of a run. */
  info(message: string): void {
    if (verbosity >= 2) write('', message);
  },
  /** Shown from verbosity 4: details for debugging. */
  debug(message: string): void {
    if (verbosity >= 4) write('debug: ', message);
  },
};
