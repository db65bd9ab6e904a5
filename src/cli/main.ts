import { DEFAULT_CONFIG, loadConfig } from '../config/config.js';
import { ProviderError } from '../errors.js';
import { decodeRequest, MAX_REQUEST_BYTES } from '../kubelet/request.js';
import { encodeResponse } from '../kubelet/response.js';
import { log, setVerbosity } from '../log.js';
import { startRunDeadline } from '../resilience/deadline.js';
import { serve } from '../serve.js';
import { VERSION } from '../version.js';
import { parseArgs, USAGE } from './args.js';
import { readStdin } from './stdin.js';

async function main(argv: string[]): Promise<number> {
  const commandLine = parseArgs(argv);
  if (commandLine.verbosity !== undefined) setVerbosity(commandLine.verbosity);
  if (commandLine.command === 'version') return print(`${VERSION}\n`);
  if (commandLine.command === 'help') return print(USAGE);

  const request = decodeRequest(await readStdin(MAX_REQUEST_BYTES));
  const config = commandLine.configPath ? await loadConfig(commandLine.configPath) : DEFAULT_CONFIG;
  const deadline = startRunDeadline(config.deadlineMs, config.requestTimeoutMs);
  // Retries stop before the deadline; this catches whatever else could hang (a lock, a stuck socket).
  setTimeout(() => {
    log.error(`no answer within the ${deadline.totalMs / 1000} s deadline (see deadline in the provider config)`);
    process.exit(1);
  }, deadline.totalMs).unref();
  return print(encodeResponse(await serve(request, config, process.env)));
}

/** Writes all of `text` to stdout before the process exits. */
function print(text: string): Promise<number> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve(0))));
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

// The SDK's HTTP layer calls url.parse(); Node's deprecation notice for it would be an
// extra stderr line in the kubelet's log on every failure.
process.noDeprecation = true;

// Exit explicitly: nothing left running (sockets, timers) may hold the kubelet's pull.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report(error)),
);
