// Preloaded with `--import` by test/config.e2e.test.ts: as the process exits, says whether any Apollo package
// was loaded. They are CommonJS under Node, so each one loaded is in the shared require cache.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const loaded = Object.keys(require.cache).some((path) => path.includes('/node_modules/@apollo/'));
  process.stderr.write(`apollo loaded: ${loaded}\n`);
});
