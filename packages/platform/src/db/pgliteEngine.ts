import { PGlite } from '@electric-sql/pglite';
import { setFlagsFromString } from 'node:v8';

/**
 * PGlite is PostgreSQL compiled to 9 MB of WebAssembly. V8 compiles it first with Liftoff, its baseline
 * compiler, then recompiles the hot functions with TurboFan on background threads, and for PostgreSQL that
 * recompilation costs more than it earns. Measured side by side in fresh processes: opening a database and
 * running 300 queries took 1.9 s of CPU with it and 0.9 s without; 6,000 stock transactions ran as fast on
 * Liftoff alone and took 4.7 s of CPU instead of 7.0 s. So every process that embeds PGlite compiles
 * WebAssembly with Liftoff only. The flag changes how WebAssembly is compiled and nothing else, and a
 * service on PostgreSQL never loads this module.
 */
setFlagsFromString('--liftoff-only');

export { PGlite };
