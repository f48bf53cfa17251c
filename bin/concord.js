#!/usr/bin/env -S node --max-semi-space-size=64
// The `concord` command runs the compiled CLI (`npm run build` writes dist/). A larger young
// generation: a simulated cluster allocates short-lived objects at a high rate, and fewer
// scavenges make its pods start measurably faster (docs/benchmarks.md).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('concord: not built yet; run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
