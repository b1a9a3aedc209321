/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (what a Prometheus
 * server's scraper accepts), written from the format's specification for the tests, and
 * a snappy block decoder for the remote-write receiver.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Parsed {
  readonly types: Map<string, string>;
  readonly help: Map<string, string>;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === 'histogram' || types.get(base) === 'summary') return base;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Parsed {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) throw new Error(`line ${n}: bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${n}: bad type ${rest}`);
        if (types.has(name)) throw new Error(`line ${n}: second TYPE for ${name}`);
        if (samples.some((s) => familyOf(s.name, new Map([[name, rest]])) === name)) throw new Error(`line ${n}: TYPE after samples of ${name}`);
        types.set(name, rest);
      } else {
        if (help.has(name)) throw new Error(`line ${n}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`line ${n}: bad escape in HELP`);
        help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      }
      return;
    }
    let rest = raw;
    const nm = NAME.exec(rest);
    if (!nm) throw new Error(`line ${n}: expected a metric name: ${raw}`);
    const name = nm[0];
    rest = rest.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      for (;;) {
        rest = rest.replace(/^ +/, '');
        if (rest.startsWith('}')) {
          rest = rest.slice(1);
          break;
        }
        const lm = LABEL.exec(rest);
        if (!lm) throw new Error(`line ${n}: expected a label name: ${raw}`);
        rest = rest.slice(lm[0].length);
        if (!rest.startsWith('="')) throw new Error(`line ${n}: expected =" after ${lm[0]}`);
        rest = rest.slice(2);
        let value = '';
        for (;;) {
          if (rest.length === 0) throw new Error(`line ${n}: unterminated label value`);
          const c = rest[0];
          if (c === '"') {
            rest = rest.slice(1);
            break;
          }
          if (c === '\\') {
            const e = rest[1];
            if (e === 'n') value += '\n';
            else if (e === '\\' || e === '"') value += e;
            else throw new Error(`line ${n}: bad escape \\${e}`);
            rest = rest.slice(2);
          } else {
            value += c;
            rest = rest.slice(1);
          }
        }
        if (lm[0] in labels) throw new Error(`line ${n}: label ${lm[0]} twice`);
        labels[lm[0]] = value;
        rest = rest.replace(/^ +/, '');
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw new Error(`line ${n}: expected , or } in ${raw}`);
      }
    }
    const vm = /^ +(\S+)( +-?\d+)? *$/.exec(rest);
    if (!vm) throw new Error(`line ${n}: expected a value: ${raw}`);
    const value = parseValue(vm[1], n);
    const family = familyOf(name, types) ?? name;
    if (family !== current) {
      if (closed.has(family)) throw new Error(`line ${n}: samples of ${family} are not together`);
      if (current !== undefined) closed.add(current);
      current = family;
    }
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value });
  });
  checkHistograms(types, samples);
  return { types, help, samples };
}

/** Histogram rules: le buckets ascending with non-decreasing counts, a +Inf bucket equal to _count, and a _sum. */
function checkHistograms(types: Map<string, string>, samples: readonly Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
    for (const s of samples) {
      if (s.name !== family + '_bucket' && s.name !== family + '_sum' && s.name !== family + '_count') continue;
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { buckets: [] }));
      if (s.name === family + '_bucket') {
        if (le === undefined) throw new Error(`${family}_bucket without le`);
        g.buckets.push([parseValue(le, 0), s.value]);
      } else if (s.name === family + '_count') g.count = s.value;
      else if (s.name === family + '_sum') g.sum = s.value;
    }
    for (const [key, g] of groups) {
      const les = g.buckets.map(([le]) => le);
      if (les.some((le, i) => i > 0 && le <= les[i - 1])) throw new Error(`${family}${key}: le not ascending`);
      if (g.buckets.some(([, v], i) => i > 0 && v < g.buckets[i - 1][1])) throw new Error(`${family}${key}: bucket counts decrease`);
      const inf = g.buckets.at(-1);
      if (!inf || inf[0] !== Infinity) throw new Error(`${family}${key}: no +Inf bucket`);
      if (g.count !== inf[1]) throw new Error(`${family}${key}: _count ${g.count} != +Inf bucket ${inf[1]}`);
      if (g.sum === undefined) throw new Error(`${family}${key}: no _sum`);
    }
  }
}

/** Snappy block format decoder (all four element types). */
export function snappyDecode(buf: Uint8Array): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(length);
  let o = 0;
  const le = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v += buf[pos++] * 2 ** (8 * i);
    return v;
  };
  while (pos < buf.length) {
    const tag = buf[pos++];
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      len = len < 60 ? len + 1 : le(len - 59) + 1;
      out.set(buf.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | buf[pos++];
    } else if (type === 2) {
      len = (tag >>> 2) + 1;
      offset = le(2);
    } else {
      len = (tag >>> 2) + 1;
      offset = le(4);
    }
    if (offset === 0 || offset > o) throw new Error(`snappy: bad offset ${offset} at ${o}`);
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset];
  }
  if (o !== length) throw new Error(`snappy: decoded ${o} bytes, header says ${length}`);
  return out;
}
