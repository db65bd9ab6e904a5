import { DEFAULT_CONFIG, loadConfig, MAX_DEADLINE_MS } from '../config/config.js';
import { ProviderError } from '../errors.js';
import { decodeRequest, MAX_REQUEST_BYTES } from '../kubelet/request.js';
import { encodeResponse } from '../kubelet/response.js';
import { loadLazy } from '../lazy-load.js';
import { log, setVerbosity } from '../log.js';
import { startRunDeadline } from '../resilience/deadline.js';
import { serve } from '../serve.js';
import { VERSION } from '../version.js';
import { parseArgs, usage, verbosityOf } from './args.js';
import { print } from './output.js';
import { readStdin } from './stdin.js';

const CONFIG_ENV = 'ALIYUN_ACR_CREDENTIAL_PROVIDER_CONFIG';
const VERBOSITY_ENV = 'ALIYUN_ACR_CREDENTIAL_PROVIDER_VERBOSITY';

async function main(argv: string[], invokedAs: string): Promise<number> {
  const line = parseArgs(argv, invokedAs);
  const fromEnv = process.env[VERBOSITY_ENV];
  setVerbosity(line.verbosity ?? (fromEnv ? verbosityOf(fromEnv, VERBOSITY_ENV) : 1));
  if (line.command === 'version') return print(`${VERSION}\n`);
  if (line.command === 'help') return print(usage(line.helpFor));

  const configPath = line.configPath ?? process.env[CONFIG_ENV];
  const config = configPath ? await loadConfig(configPath) : DEFAULT_CONFIG;
  // doctor runs many checks in a row; everything else is one answer within the deadline.
  const deadline = startRunDeadline(line.command === 'doctor' ? MAX_DEADLINE_MS : config.deadlineMs, config.requestTimeoutMs);
  // Retries stop before the deadline; this catches whatever else could hang (a lock, a stuck socket).
  setTimeout(() => {
    log.error(`no answer within the ${deadline.totalMs / 1000} s deadline (see deadline in the provider config)`);
    process.exit(1);
  }, deadline.totalMs).unref();

  switch (line.command) {
    case 'provide':
      return print(encodeResponse(await serve(decodeRequest(await readStdin(MAX_REQUEST_BYTES)), config, process.env)));
    case 'get-credentials':
      return (await import('./get-credentials.js')).getCredentials(line, config);
    case 'docker-credential':
      return (await import('./docker-credential.js')).dockerCredential(line, config);
    case 'doctor':
      return (await loadLazy()).doctor.doctor(line, config, configPath);
  }
}

function report(error: unknown): number {
  if (error instanceof ProviderError) {
    log.error(error.oneLine());
  } else {
    log.error(`internal error: ${(error as Error)?.message ?? String(error)} (please report it; run with --v=4 for details)`);
    log.debug((error as Error)?.stack ?? '');
  }
  return 1;
}

// A Node deprecation notice would be an extra stderr line in the kubelet's log.
process.noDeprecation = true;

// Exit explicitly: nothing left running (sockets, timers) may hold the kubelet's pull.
// argv0 is the name the program was started as: a docker-credential-* symlink makes it a helper.
main(process.argv.slice(2), (process.argv0.split('/').pop() ?? '')).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report(error)),
);
