/** `tracebox doctor`: why spans are (not) arriving, in plain words. */
import type { Finding, IngestRecord } from '../otlp/index.ts';
import { CONNECTION_FLAGS, CONNECTION_HELP, clientFor, parse } from './options.ts';
import { table } from './query.ts';

const USAGE = `Usage: tracebox doctor [--url URL] [--auth-token TOKEN]
Shows the last requests each receiver got and the set-up mistakes tracebox recognized.
${CONNECTION_HELP}`;

function ago(ms: number): string {
  const s = Math.round((Date.now() - ms) / 1000);
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export async function doctor(args: readonly string[]): Promise<number> {
  const { values } = parse(args, CONNECTION_FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const client = clientFor(values);
  const report = await client.doctor();
  const out: string[] = [];
  const requests = Object.entries(report.requests) as Array<[string, IngestRecord[]]>;
  if (requests.length === 0) {
    out.push(`No OTLP request has reached this tracebox yet. Point your SDK at it, e.g.:`);
    out.push(`  export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`);
  }
  if (report.findings.length === 0) out.push(requests.length > 0 ? 'No problems recognized.' : '');
  for (const f of report.findings as Finding[]) out.push(`✗ ${f.message} (${f.count}×, last ${ago(f.last)})`);
  for (const [transport, list] of requests) {
    out.push('', `Last ${list.length} request(s) on ${transport}:`);
    const rows = [['WHEN', 'REQUEST', 'CONTENT-TYPE', 'ENCODING', 'BYTES', 'STORED', 'REJECTED', 'STATUS', 'ERROR']];
    for (const r of list) {
      rows.push([ago(r.at), `${r.method} ${r.path}`, r.contentType, r.contentEncoding, String(r.bytes), String(r.spans), String(r.rejected), String(r.status), r.error.slice(0, 80)]);
    }
    out.push(table(rows).trimEnd());
  }
  process.stdout.write(out.filter((l, i) => l !== '' || i > 0).join('\n') + '\n');
  return report.findings.length > 0 ? 1 : 0;
}
