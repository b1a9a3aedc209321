/**
 * `tracebox import <file…>`: sends each trace file (`-` for stdin) to a running tracebox's
 * `POST /api/import` and prints one line per file. The server reads the shape (OTLP/JSON,
 * JSON lines, Tempo, Grafana, Jaeger, gzip) so the command sends the bytes as they are.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config.ts';
import { SESSION_HEADER } from '../otlp/index.ts';
import type { TraceboxClient } from '../testing/index.ts';
import { CLIENT_FLAGS, CONNECTION_HELP, clientFor, parse } from './options.ts';

const USAGE = `Usage: tracebox import <file…> [--url URL] [--session ID]
Loads trace files into a running tracebox: OTLP/JSON (one request, an array of them, or
JSON lines as the Collector's file exporter writes; log requests too), Tempo and Grafana
trace downloads, and Jaeger JSON; gzip-compressed files too. "-" reads standard input.
${CONNECTION_HELP}
  --session ID       tag the imported spans with this test session`;

interface Answer {
  traces: number;
  spans: number;
  rejected: number;
  format: string;
  message?: string;
  logs?: number;
  logsRejected?: number;
}

async function readStdin(): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** POSTs one file; resolves with the line to print, rejects with the reason it failed. */
async function importOne(client: TraceboxClient, body: Uint8Array<ArrayBuffer>, session: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (session !== undefined) headers[SESSION_HEADER] = session;
  const res = await client.fetch('/api/import', { method: 'POST', headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status === 413 ? '' : `rejected (${res.status}): `}${text.trim()}`);
  return JSON.parse(text) as Answer;
}

export async function importFiles(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, CLIENT_FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new ConfigError(`expected at least one file to import\n${USAGE}`);
  const client = clientFor({ url: values.url, 'auth-token': values['auth-token'] });
  let failed = 0;
  for (const file of positionals) {
    const name = file === '-' ? '<stdin>' : file;
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = file === '-' ? await readStdin() : await readFile(file);
    } catch (err) {
      process.stderr.write(`${name}: cannot read: ${(err as Error).message}\n`);
      failed++;
      continue;
    }
    try {
      const a = await importOne(client, body, values.session);
      const rejected = a.rejected > 0 ? `, ${a.rejected} rejected (${a.message ?? 'invalid spans'})` : '';
      const logs = a.logs === undefined ? '' : `, ${a.logs} log record(s)${(a.logsRejected ?? 0) > 0 ? `, ${a.logsRejected} rejected (${a.message ?? 'invalid records'})` : ''}`;
      process.stdout.write(`${name}: ${a.traces} trace(s), ${a.spans} span(s)${rejected}${logs} [${a.format}]\n`);
    } catch (err) {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      failed++;
      if ((err as Error).message.startsWith('cannot reach')) break;
    }
  }
  return failed === 0 ? 0 : 1;
}
