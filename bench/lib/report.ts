/** The results table: every figure with its ratio to the baseline measured in the same session. */
import type { Measurement } from './measure.js';

export interface Row {
  id: string;
  label: string;
  description: string;
  measurement?: Measurement;
  skipped?: string;
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
const ratio = (value: number | undefined, base: number | undefined): string =>
  value === undefined || base === undefined || base === 0 ? '—' : `${(value / base).toFixed(2)}×`;

export function markdownTable(rows: Row[], baselineId: string): string {
  const base = rows.find((r) => r.id === baselineId)?.measurement;
  const baseValid = base && base.voidReasons.length === 0 ? base : undefined;
  const lines = [
    '| gateway | RPS | × Apollo | p50 ms | p99 ms | p99 × Apollo | peak RSS MB | CPU ms / request | subgraph requests / request: alone, under load | status |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const name = `${row.label}${row.description ? ` (${row.description})` : ''}`;
    if (row.skipped) {
      lines.push(
        `| ${name} | — | — | — | — | — | — | — | — | skipped: ${row.skipped.replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 300)} |`,
      );
      continue;
    }
    const m = row.measurement!;
    const med = m.median;
    const status =
      m.voidReasons.length === 0 ? 'ok' : `VOID: ${m.voidReasons.join('; ').replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 300)}`;
    lines.push(
      `| ${name} | ${fixed(med?.rps, 1)} | ${ratio(med?.rps, baseValid?.median?.rps)} | ${fixed(med?.p50Ms, 0)} | ${fixed(med?.p99Ms, 0)} | ${ratio(med?.p99Ms, baseValid?.median?.p99Ms)} | ${fixed(m.peakRssMb, 0)} | ${fixed(m.cpuMsPerRequest, 2)} | ${fixed(m.upstreamSingle, 0)}, ${fixed(m.upstreamPerRequest, 1)} | ${status} |`,
    );
  }
  return lines.join('\n');
}
