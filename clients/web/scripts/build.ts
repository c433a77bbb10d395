/**
 * `npm run build -w @brigade/web`: typed operations from clients/operations/ (codegen), the production
 * bundle (Vite) and the persisted query manifest, into clients/web/dist/. `npm start` and the browser
 * tests call `buildWebApp()` the same way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { generate, GENERATED } from './codegen.js';
import { buildManifest } from './manifest.js';

const CONFIG = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../dist', import.meta.url));
export const MANIFEST_FILE = 'persisted-query-manifest.json';

export interface BuiltApp {
  readonly dist: string;
  readonly manifestPath: string;
  readonly operations: number;
}

export interface BuildOptions {
  /** Where the app goes (default clients/web/dist); emptied first. */
  readonly outDir?: string;
  readonly quiet?: boolean;
}

export async function buildWebApp(options: BuildOptions = {}): Promise<BuiltApp> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  // Rewritten only when it changes: concurrent builds (npm start, tests) must never read it half-written.
  const generated = await generate();
  if (!existsSync(GENERATED) || readFileSync(GENERATED, 'utf8') !== generated) writeFileSync(GENERATED, generated);
  await build({ configFile: CONFIG, logLevel: options.quiet ? 'warn' : 'info', build: { outDir, emptyOutDir: true } });
  const manifest = await buildManifest();
  const manifestPath = resolve(outDir, MANIFEST_FILE);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { dist: outDir, manifestPath, operations: manifest.operations.length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const built = await buildWebApp(process.env.WEB_DIST ? { outDir: process.env.WEB_DIST } : {});
  console.log(`web app built into ${built.dist}; ${built.operations} operations in ${built.manifestPath}`);
}
