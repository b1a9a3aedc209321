/**
 * @module analysis/format
 * Durations as people read them, the same in the viewer, the MCP tools and the command
 * line: three significant digits and the unit that fits; rows as padded text columns.
 */

/** ns → "4.20 s", "12.3 ms", "850 µs", "120 ns", "1.50 min", "2.00 h"; "–" for no number. */
export function humanDuration(ns: number | bigint): string {
  const v = Number(ns);
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const sig = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (a >= 3_600e9) return `${sig(v / 3_600e9)} h`;
  if (a >= 60e9) return `${sig(v / 60e9)} min`;
  if (a >= 1e9) return `${sig(v / 1e9)} s`;
  if (a >= 1e6) return `${sig(v / 1e6)} ms`;
  if (a >= 1e3) return `${sig(v / 1e3)} µs`;
  return `${Math.round(v)} ns`;
}

/** Rows as text columns padded to their widest cell (the last column is not padded). */
export function textTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}
