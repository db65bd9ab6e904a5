// How end-to-end test files get a fake cloud: one per file, reset before each test.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFakeCloud, type DeepPartialScenario, type FakeCloud } from './cloud.js';

/**
 * A fake cloud started before the file's tests and stopped after them. Before each test the
 * node's token cache, the request log and the faults are cleared, so every test starts on a
 * fresh node. Returns a handle usable at the top level of the file.
 */
export function useFakeCloud(scenario?: DeepPartialScenario): FakeCloud {
  let current: FakeCloud | undefined;
  beforeAll(async () => {
    current = await startFakeCloud(scenario);
  });
  afterAll(async () => current?.stop());
  beforeEach(async () => {
    const cloud = started();
    await cloud.clearProviderCache();
    await cloud.clearRequests();
    await cloud.clearFaults();
  });
  const started = (): FakeCloud => {
    if (!current) throw new Error('the fake cloud is used before beforeAll started it');
    return current;
  };
  return new Proxy({} as FakeCloud, { get: (_target, property) => started()[property as keyof FakeCloud] });
}

/** A fake cloud of its own for one test, stopped whatever happens. */
export async function withFakeCloud<T>(scenario: DeepPartialScenario, body: (cloud: FakeCloud) => Promise<T>): Promise<T> {
  const cloud = await startFakeCloud(scenario);
  try {
    return await body(cloud);
  } finally {
    await cloud.stop();
  }
}
