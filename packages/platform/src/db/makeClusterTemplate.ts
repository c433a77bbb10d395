/**
 * Makes the machine's empty PGlite cluster (clusterTemplate.ts) if it is not there yet, then exits. `npm start`
 * runs it first thing on a first start, so initdb uses the second core while the services load their code, and
 * its memory leaves with this process.
 */
import { clusterTemplateDir } from './clusterTemplate.js';

await clusterTemplateDir();
