import { readFile } from 'node:fs/promises';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '@brigade/platform';

/**
 * Features that @apollo/gateway refuses to load ("is for: SECURITY but is unsupported") because only
 * Apollo Router enforces them. Brigade enforces them itself, so it drops only the `for:` purpose from
 * these links: the directive applications stay in the schema for Brigade's own enforcement, and the file
 * on disk stays the one Apollo Router would load.
 */
const SELF_ENFORCED_FEATURES = ['authenticated', 'requiresScopes', 'policy'];

export function prepareForGateway(supergraphSdl: string): string {
  return supergraphSdl.replace(
    /@link\(url: "https:\/\/specs\.apollo\.dev\/([A-Za-z]+)\/v[\d.]+"[^)]*\)/g,
    (link, feature: string) =>
      SELF_ENFORCED_FEATURES.includes(feature) ? link.replace(/,\s*for:\s*[A-Z_]+/, '') : link,
  );
}

/**
 * Calls `onChange` with the new contents whenever the supergraph file changes. Watches the folder, not the
 * file, so editors and `npm run compose` that replace the file (rename over it) are seen too.
 */
export function watchSupergraph(
  path: string,
  initial: string,
  onChange: (sdl: string) => void,
  logger: Logger,
): () => void {
  let current = initial;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      const next = await readFile(path, 'utf8');
      if (next && next !== current) {
        current = next;
        onChange(next);
      }
    } catch (error) {
      logger.warn({ err: error, path }, 'supergraph unreadable; keeping the loaded one');
    }
  };
  const watcher = watch(dirname(path), (_event, file) => {
    if (file && file.toString() !== basename(path)) return;
    clearTimeout(timer);
    // Writers emit several events per save; read once they have settled.
    timer = setTimeout(check, 50);
  });
  watcher.on('error', (error) => logger.warn({ err: error }, 'supergraph watcher failed'));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
