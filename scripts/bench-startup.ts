/**
 * Start-up and freshness benchmark: time from launching the built CLI to /ready, its
 * resident memory when idle, and the time from an export call returning to the span
 * being found by a search (tracebox commits before it answers, so this should be the
 * cost of one search). Prints a small table.
 *
 *   node --import tsx scripts/bench-startup.ts [--runs 10]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function start(dataDir: string): Promise<{ pid: number; apiUrl: string; otlpUrl: string; readyMs: number; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/cli.mjs', '--data', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/OTEL_EXPORTER_OTLP_ENDPOINT=\S+\n/.test(out)) resolve(out);
    });
    child.on('exit', (code) => reject(new Error(`tracebox exited with ${code}:\n${out}`)));
  });
  const apiUrl = /Tempo API\s+(\S+)/.exec(banner)![1];
  const otlpUrl = /OTLP\/HTTP\s+(\S+)/.exec(banner)![1];
  for (;;) {
    const res = await fetch(`${apiUrl}/ready`).catch(() => undefined);
    if (res?.ok) break;
  }
  const readyMs = performance.now() - t0;
  return {
    pid: child.pid!,
    apiUrl,
    otlpUrl,
    readyMs,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function request(i: number): string {
  const traceId = (0x5ea7c0de00000000n + BigInt(i)).toString(16).padStart(32, '0');
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: '00000000000000a1',
                name: 'fresh',
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 1_000_000n),
                attributes: [{ key: 'bench.run', value: { intValue: String(i) } }],
              },
            ],
          },
        ],
      },
    ],
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync('dist/cli.mjs')) throw new Error('build first: node scripts/build.mjs');
  const readies: number[] = [];
  const idle: number[] = [];
  const fresh: number[] = [];
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-startup-'));
    const tb = await start(dir);
    try {
      readies.push(tb.readyMs);
      await new Promise((r) => setTimeout(r, 300));
      idle.push(rssKiB(tb.pid) / 1024);
      for (let i = 0; i < 20; i++) {
        const n = run * 100 + i;
        const res = await fetch(tb.otlpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request(n) });
        if (res.status !== 200) throw new Error(`export answered ${res.status}`);
        const acked = performance.now();
        for (;;) {
          const q = encodeURIComponent(`{ span.bench.run = ${n} }`);
          const found = (await (await fetch(`${tb.apiUrl}/api/search?q=${q}`)).json()) as { traces?: unknown[] };
          if ((found.traces ?? []).length > 0) break;
        }
        fresh.push(performance.now() - acked);
      }
    } finally {
      await tb.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const s = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(1);
  console.log(`tracebox start-up benchmark: Node ${process.version}, ${os.cpus().length} CPU(s), ${runs} runs`);
  console.log('measure                                   p50       p99');
  console.log(`start to /ready (ms)                 ${f(percentile(s(readies), 0.5)).padStart(9)} ${f(percentile(s(readies), 0.99)).padStart(9)}`);
  console.log(`RSS when idle (MiB)                  ${f(percentile(s(idle), 0.5)).padStart(9)} ${f(percentile(s(idle), 0.99)).padStart(9)}`);
  console.log(`export returned → searchable (ms)    ${f(percentile(s(fresh), 0.5)).padStart(9)} ${f(percentile(s(fresh), 0.99)).padStart(9)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
