/**
 * @module traceql/duration
 * Duration literals as Tempo reads them: first Prometheus rules (integer parts,
 * units `y w d h m s ms` in that order, each at most once, so `1h30m` and `2d`),
 * then Go's `time.ParseDuration` (fractions and `us`/`µs`/`ns`, so `1.5s`).
 * Values are nanoseconds held in a JS number: exact up to 2^53 ns (~104 days),
 * rounded beyond that (Tempo compares durations as float64 anyway).
 */

const MAX_INT64 = (1n << 63n) - 1n;

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;

/** Prometheus units in the only order they may appear. */
const PROM_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['y', 365n * DAY],
  ['w', 7n * DAY],
  ['d', DAY],
  ['h', HOUR],
  ['m', MIN],
  ['s', SEC],
  ['ms', MS],
];

const GO_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['µs', US], // U+00B5 micro sign
  ['μs', US], // U+03BC greek mu
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Prometheus `model.ParseDuration`; null when the text is not one. */
function parsePrometheus(text: string): bigint | null {
  if (text === '0') return 0n;
  if (text === '') return null;
  let total = 0n;
  let lastUnit = -1;
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text[i])) return null;
    const numStart = i;
    while (isDigit(text[i])) i++;
    const value = BigInt(text.slice(numStart, i));
    const unitStart = i;
    while (i < text.length && !isDigit(text[i])) i++;
    const unit = text.slice(unitStart, i);
    const pos = PROM_UNITS.findIndex(([u]) => u === unit);
    if (pos <= lastUnit) return null; // unknown unit, or out of order
    lastUnit = pos;
    total += value * PROM_UNITS[pos][1];
    if (total > MAX_INT64) return null;
  }
  return total;
}

/** Go `time.ParseDuration` for unsigned input; null when the text is not one. */
function parseGo(text: string): bigint | null {
  if (text === '0') return 0n;
  if (text === '') return null;
  let total = 0n;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (!(c === '.' || isDigit(c))) return null;
    const intStart = i;
    while (isDigit(text[i])) i++;
    const intDigits = text.slice(intStart, i);
    let fracDigits = '';
    if (text[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(text[i])) i++;
      fracDigits = text.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') return null;
    const unitStart = i;
    while (i < text.length && text[i] !== '.' && !isDigit(text[i])) i++;
    const unit = GO_UNITS.get(text.slice(unitStart, i));
    if (unit === undefined) return null;
    const whole = intDigits === '' ? 0n : BigInt(intDigits);
    if (whole > (1n << 63n) / unit) return null;
    let part = whole * unit;
    if (fracDigits !== '') {
      // Go keeps at most ~19 fraction digits and scales in float64; mirror that.
      let f = 0n;
      let scale = 1;
      for (const d of fracDigits) {
        if (f > MAX_INT64 / 10n) break;
        f = f * 10n + BigInt(d);
        scale *= 10;
      }
      part += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (part > 1n << 63n) return null;
    }
    total += part;
    if (total > 1n << 63n) return null;
  }
  return total > MAX_INT64 ? null : total;
}

/** Nanoseconds for a duration literal (without sign), or null if it is not one. */
export function parseDuration(text: string): number | null {
  const ns = parsePrometheus(text) ?? parseGo(text);
  return ns === null ? null : Number(ns);
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['h', HOUR],
  ['m', MIN],
  ['s', SEC],
  ['ms', MS],
  ['us', US],
  ['ns', NS],
];

/**
 * Canonical text for a duration: integer parts from hours down (`1h30m`,
 * `1s500ms`, `2us`). Days are never used so that the text stays valid for the
 * Go-rules fallback when sub-millisecond parts are present.
 */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  let rest = BigInt(Math.abs(ns));
  let out = ns < 0 ? '-' : '';
  for (const [unit, size] of FORMAT_UNITS) {
    const n = rest / size;
    if (n > 0n) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
