/**
 * Smoke test of a packaged tracebox, for scripts/check-{sea,package,docker}.sh. It starts a
 * command that runs tracebox (its banner gives the endpoints), then:
 *   - GET /ready;
 *   - runs examples/app.js (the OpenTelemetry SDK, OTLP/HTTP protobuf) against it and
 *     reads that trace back through /api/v2/traces/<id>;
 *   - sends the test suite's richest request over OTLP/gRPC and expects it back unchanged
 *     as protobuf, as Grafana asks for it;
 *   - GET / (the viewer) and the files under /assets/ that it names;
 * and finally sends SIGTERM and expects exit status 0.
 *
 *   node --import tsx scripts/smoke.ts [--cwd DIR] [--timeout SECONDS] [--process-group] -- COMMAND [ARG...]
 *
 * Give the command `--memory --port 0 --otlp-http-port 0 --otlp-grpc-port 0` (or a data
 * directory) so that it runs beside anything else. Exits 1 with what went wrong.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startCommand, type RunningCli } from '../test/helpers/cli.ts';
import { grpcExport } from '../test/helpers/grpc.ts';
import { get, getTraceJson, getTraceProtobuf, json } from '../test/helpers/http.ts';
import { decodePlain, TraceByIDResponse, TracesData } from '../test/helpers/proto.ts';
import { encodeRequest, richRequest } from '../test/helpers/requests.ts';
import { spansOf, type Json } from '../test/helpers/tempo-json.ts';
import { randomTraceId } from '../test/helpers/tracebox.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_APP = path.join(REPO, 'examples/app.js');
const EXAMPLE_SPANS = ['POST /checkout', 'SELECT carts', 'charge card', 'load cart', 'render receipt']; // sorted

export interface SmokeOptions {
  /** The command that runs tracebox. */
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** Added to the environment (TRACEBOX_* variables of the caller's are dropped). */
  readonly env?: Record<string, string>;
  /** How long tracebox may take to print its banner. */
  readonly timeoutMs?: number;
  /** Signal the command's whole process group (for wrappers such as npx). */
  readonly processGroup?: boolean;
  /** More checks while it runs. */
  readonly during?: (tb: RunningCli) => Promise<void>;
}

function step(message: string, since: number): void {
  process.stdout.write(`smoke: ${message} (${((performance.now() - since) / 1000).toFixed(2)} s)\n`);
}

async function exampleAppTrace(tb: RunningCli): Promise<void> {
  const t = performance.now();
  const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: tb.otlpHttpUrl, OTEL_SERVICE_NAME: 'smoke-app' };
  const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE_APP], { env, timeout: 30_000 });
  const traceId = /trace ([0-9a-f]{32})/.exec(stdout)?.[1];
  assert.ok(traceId, `examples/app.js printed no trace id: ${stdout}`);
  const answer = await getTraceJson(tb.apiUrl, 'v2', traceId);
  assert.equal(answer.status, 200, `GET /api/v2/traces/${traceId}: ${answer.status} ${answer.body.toString()}`);
  const trace = (json(answer) as { trace: { resourceSpans: Json[] } }).trace;
  const spans = spansOf(trace);
  assert.deepEqual(spans.map((s) => s.name).sort(), EXAMPLE_SPANS);
  assert.equal((spans.find((s) => s.name === 'charge card')!.status as Json).code, 'STATUS_CODE_ERROR');
  const resource = trace.resourceSpans[0].resource as { attributes: Json[] };
  assert.deepEqual(resource.attributes.find((a) => a.key === 'service.name')?.value, { stringValue: 'smoke-app' });
  step(`OTLP/HTTP: examples/app.js's trace ${traceId} read back, ${spans.length} spans`, t);
}

async function grpcTrace(tb: RunningCli): Promise<void> {
  const t = performance.now();
  const traceId = randomTraceId();
  const sent = encodeRequest(richRequest(traceId).request);
  const { error } = await grpcExport(tb.otlpGrpcUrl, sent);
  assert.equal(error, undefined, `gRPC export failed: ${error?.message}`);
  const answer = await getTraceProtobuf(tb.apiUrl, 'v2', traceId);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-type'), 'application/protobuf');
  assert.deepStrictEqual(decodePlain(TraceByIDResponse, answer.body), { trace: decodePlain(TracesData, sent) });
  step(`OTLP/gRPC: trace ${traceId} read back as protobuf, unchanged`, t);
}

/** The viewer's page and every file under /assets/ that it names. */
async function viewer(tb: RunningCli): Promise<void> {
  const t = performance.now();
  const page = await get(`${tb.apiUrl}/`);
  assert.equal(page.status, 200, 'GET / (viewer)');
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const assets = [...new Set(page.body.toString('utf8').match(/\/assets\/[\w.-]+/g) ?? [])];
  for (const asset of assets) assert.equal((await get(tb.apiUrl + asset)).status, 200, `GET ${asset}`);
  step(`viewer: / and its ${assets.length} files under /assets/`, t);
}

/** Runs the checks above against `options.argv`; throws at the first failure. */
export async function smoke(options: SmokeOptions): Promise<void> {
  const started = performance.now();
  const tb = await startCommand(options.argv, options);
  try {
    step(`started, API at ${tb.apiUrl}`, started);
    assert.equal((await get(`${tb.apiUrl}/ready`)).status, 200, 'GET /ready');
    await exampleAppTrace(tb);
    await grpcTrace(tb);
    await viewer(tb);
    await options.during?.(tb);
  } catch (err) {
    const exit = await tb.stop();
    process.stderr.write(`smoke: tracebox's output:\n${exit.stdout}${exit.stderr}`);
    throw err;
  }
  const t = performance.now();
  const exit = await tb.stop();
  // A wrapper such as npx dies of the SIGTERM itself; its output closing (which `exit` waits
  // for) means tracebox, which shares that output, has exited too.
  const wrapperKilled = options.processGroup === true && exit.signal === 'SIGTERM';
  assert.ok(exit.code === 0 || wrapperKilled, `exit status after SIGTERM: ${exit.code ?? exit.signal}\n${exit.stderr}`);
  step(`stopped by SIGTERM, ${wrapperKilled ? 'the wrapper killed by it' : 'exit status 0'}`, t);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    options: { cwd: { type: 'string' }, timeout: { type: 'string', default: '30' }, 'process-group': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: node --import tsx scripts/smoke.ts [--cwd DIR] [--timeout SECONDS] [--process-group] -- COMMAND [ARG...]\n');
    process.exit(2);
  }
  smoke({ argv: positionals, cwd: values.cwd, timeoutMs: Number(values.timeout) * 1000, processGroup: values['process-group'] }).then(
    () => process.stdout.write('smoke: ok\n'),
    (err: unknown) => {
      process.stderr.write(`smoke: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
