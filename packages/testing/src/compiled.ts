/** Node's flag that resolves every workspace package to its dist/ (their `exports` name it `compiled`). */
export const COMPILED_CONDITION = '--conditions=compiled';

/**
 * Node's arguments to run a source file's compiled twin (`gateway/src/main.ts` → `gateway/dist/main.js`), as
 * `npm start` and the image run it; vitest's global set-up builds dist/ before any test. A child process
 * starts in well under a second this way, where tsx compiling the sources at start took seconds.
 */
export function compiledArgs(source: string): string[] {
  const at = source.lastIndexOf('/src/');
  const start = at >= 0 ? at + 1 : source.startsWith('src/') ? 0 : -1;
  if (start < 0 || !source.endsWith('.ts')) throw new Error(`not a package source file: ${source}`);
  return [COMPILED_CONDITION, `${source.slice(0, start)}dist/${source.slice(start + 4, -3)}.js`];
}
