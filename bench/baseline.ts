// The benchmark's yardstick: a single-executable built by the same pipeline (same Node,
// strip, code cache) that only prints `{}`. Whatever the provider costs on top of it is the
// provider's own start-up and work.
process.stdout.write('{}\n');
