/**
 * Soak and overload runs against the built CLI in a child process.
 *
 *   npm run soak -- [--minutes 30] [--rate 10000] [--retention 2m] [--max-size 64MiB]
 *     steady ingest at --rate spans/s (set it to about half of bench:ingest's figure)
 *     with small retention limits; every 30 s it prints the server's RSS, the database
 *     file size (with its WAL) and the spans stored, then the rows of every table (the
 *     dictionaries too: names, scopes, resources, tag keys and values), to show all stay flat.
 *   npm run soak -- --overload [--seconds 60] [--concurrency 32]
 *     as fast as 32 exporters can send: counts the retryable refusals (503, each must
 *     carry Retry-After), checks the server stays up, reports its peak RSS and how long
 *     exports waited for their answers (p99 and max, accepted and refused apart), and
 *     checks every accepted span is stored.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { generateRequests } from './lib/span-generator.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seconds: { type: 'string' },
    rate: { type: 'string', default: '10000' },
    retention: { type: 'string', default: '2m' },
    'max-size': { type: 'string', default: '64MiB' },
    concurrency: { type: 'string' },
    overload: { type: 'boolean', default: false },
  },
});
const overload = values.overload;
const durationMs = values.seconds !== undefined ? Number(values.seconds) * 1000 : overload ? 60_000 : Number(values.minutes) * 60_000;
const rate = Number(values.rate);
const concurrency = Number(values.concurrency ?? (overload ? 32 : 4));

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

function fileMiB(dir: string): number {
  let bytes = 0;
  for (const f of fs.readdirSync(dir)) bytes += fs.statSync(path.join(dir, f)).size;
  return bytes / 1024 / 1024;
}

/** Tables whose rows a soak with retention must keep bounded. */
const TABLES = ['traces', 'spans', 'span_names', 'scopes', 'resources', 'tag_keys', 'tag_values'];

/** Rows per table, read on a connection of its own (WAL: it does not hold up the server). */
function tableRows(dir: string): string {
  const file = path.join(dir, 'tracebox.db');
  if (!fs.existsSync(file)) return '';
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return TABLES.map((t) => `${t} ${db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number}`).join(', ');
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync('dist/cli.mjs')) throw new Error('build first: node scripts/build.mjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-soak-'));
  const args = ['dist/cli.mjs', '--data', dir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'];
  // Overload counts every acknowledged span in the store afterwards: no size limit may delete any.
  args.push(...(overload ? ['--max-size', '0'] : ['--retention', values.retention!, '--max-size', values['max-size']!]));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      banner += d;
      if (/OTEL_EXPORTER_OTLP_ENDPOINT=\S+\n/.test(banner)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`tracebox exited (${code})`)));
  });
  const url = /OTLP\/HTTP\s+(\S+)/.exec(banner)![1];
  const pid = child.pid!;
  let accepted = 0;
  let refused = 0;
  let failed = 0;
  let noRetryAfter = 0;
  const waits = { accepted: [] as number[], refused: [] as number[] };
  let peakRss = 0;
  let seed = 1;
  const queue: Array<{ bytes: Uint8Array; spans: number }> = [];
  const next = (): { bytes: Uint8Array; spans: number } => {
    if (queue.length === 0) for (const r of generateRequests({ spans: 51_200, seed: seed++ })) queue.push(r);
    return queue.shift()!;
  };
  // node:http with keep-alive: a lighter client than fetch, so that it leaves the CPU to the server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const post = (body: Uint8Array): Promise<{ status: number; retryAfter: string | undefined }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { agent, method: 'POST', hostname: target.hostname, port: target.port, path: target.pathname, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const started = Date.now();
  const deadline = started + durationMs;
  let sentSpans = 0;
  const sender = async (): Promise<void> => {
    while (Date.now() < deadline) {
      if (!overload) {
        // Pace all senders together to --rate spans/s.
        const due = started + (sentSpans / rate) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const req = next();
      sentSpans += req.spans;
      try {
        const t = performance.now();
        const res = await post(req.bytes);
        const ms = performance.now() - t;
        if (res.status === 200) {
          accepted += req.spans;
          waits.accepted.push(ms);
        } else if (res.status === 503 || res.status === 429) {
          refused++;
          waits.refused.push(ms);
          if (res.retryAfter === undefined) noRetryAfter++;
        } else failed++;
      } catch {
        failed++;
      }
    }
  };
  console.log(`tracebox ${overload ? 'overload' : 'soak'}: ${concurrency} exporters, ${overload ? 'unpaced' : `${rate} spans/s`}, ${durationMs / 1000} s${overload ? '' : `, retention ${values.retention}, max size ${values['max-size']}`}`);
  console.log('   t s   RSS MiB   file MiB   accepted spans   refused');
  const sample = setInterval(() => {
    const rss = rssMiB(pid);
    peakRss = Math.max(peakRss, rss);
    const t = Math.round((Date.now() - started) / 1000);
    console.log(`${String(t).padStart(6)} ${rss.toFixed(0).padStart(9)} ${fileMiB(dir).toFixed(1).padStart(10)} ${String(accepted).padStart(16)} ${String(refused).padStart(9)}`);
    if (!overload) console.log(`        rows: ${tableRows(dir)}`);
  }, overload ? 5000 : 30_000);
  await Promise.all(Array.from({ length: concurrency }, sender));
  clearInterval(sample);
  agent.destroy();
  peakRss = Math.max(peakRss, rssMiB(pid));
  const alive = child.exitCode === null;
  await new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
  if (!overload) console.log(`rows at the end: ${tableRows(dir)}`);
  const db = new Database(path.join(dir, 'tracebox.db'), { readonly: true });
  const stored = db.prepare('SELECT count(*) FROM spans').pluck().get() as number;
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  console.log(`server alive at the end: ${alive}; peak RSS ${peakRss.toFixed(0)} MiB; final file ${fileMiB(dir).toFixed(1)} MiB; integrity ${String(integrity)}`);
  console.log(`accepted ${accepted} spans, refused ${refused} requests (retryable), failed ${failed}; stored ${stored}${overload ? (stored >= accepted ? ' (every accepted span is stored)' : ' (MISSING SPANS)') : ''}`);
  const spread = (ms: number[]): string => {
    if (ms.length === 0) return 'none';
    ms.sort((a, b) => a - b);
    return `p50 ${ms[ms.length >> 1].toFixed(0)} ms, p99 ${ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)].toFixed(0)} ms, max ${ms[ms.length - 1].toFixed(0)} ms`;
  };
  console.log(`waits for an answer: accepted ${spread(waits.accepted)}; refused ${spread(waits.refused)}${noRetryAfter > 0 ? `; ${noRetryAfter} refusal(s) WITHOUT Retry-After` : ''}`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!alive || failed > 0 || noRetryAfter > 0 || (overload && stored < accepted)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
