// `npm run demo`: the built binary answers a real kubelet request against the fake cloud,
// inside a private network namespace where 100.100.100.200 and *.aliyuncs.com are the fake.
import { kubeletRequest, providerBinary } from './support/binary.js';
import { startFakeCloud } from './support/cloud.js';

const image = process.argv[2] ?? 'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app';
const cloud = await startFakeCloud();
try {
  const request = kubeletRequest(image);
  const run = await cloud.run([providerBinary, '--v=2'], { stdin: request });
  const say = (text: string) => process.stdout.write(`${text}\n`);
  say(`\n$ echo '${request.trim()}' | ${providerBinary.replace(`${process.cwd()}/`, '')} --v=2`);
  say(`\n--- stdout (what the kubelet reads; exit code ${run.code}, ${run.wallMs.toFixed(0)} ms) ---`);
  say(run.stdout.trim() === '' ? '(empty)' : JSON.stringify(JSON.parse(run.stdout), null, 2));
  say('\n--- stderr (logs) ---');
  say(run.stderr.trimEnd() || '(empty)');
  say('\n--- calls the fake cloud received ---');
  for (const r of await cloud.requests()) {
    const what = r.service === 'imds' ? `${r.method} ${r.path}` : `${r.action} ${JSON.stringify(r.params)}`;
    say(`${String(r.status).padEnd(4)}${r.host.padEnd(34)}${what}${r.principal ? `  as ${r.principal}` : ''}`);
  }
  process.exitCode = run.code === 0 ? 0 : 1;
} finally {
  await cloud.stop();
}
