/**
 * The viewer's seed: a small shop (frontend → checkout → inventory, payment → postgres)
 * traced with the real OpenTelemetry JS SDK and exported over OTLP/HTTP (protobuf), with
 * explicit span times so a 4.2 s call costs no waiting. Also a 10,000-span trace, a trace
 * with hostile attribute values, and single traces for live updates.
 *
 * As a script it seeds a running tracebox (for working on the viewer by hand):
 *   node --import tsx test/viewer/seed.ts [http://127.0.0.1:4318]
 */
import { context, trace, SpanKind, SpanStatusCode, type Span, type Attributes, type Link } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pathToFileURL } from 'node:url';

type Tracer = ReturnType<BasicTracerProvider['getTracer']>;

/** One provider per service (the resource belongs to the provider), all exporting to one endpoint. */
class Shop {
  private readonly providers = new Map<string, BasicTracerProvider>();
  constructor(private readonly otlpHttpUrl: string) {}

  tracer(service: string, extra: Attributes = {}): Tracer {
    let p = this.providers.get(service);
    if (p === undefined) {
      p = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.4.2', 'deployment.environment': 'dev', ...extra }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${this.otlpHttpUrl}/v1/traces`, timeoutMillis: 20_000 }), {
            maxExportBatchSize: 2048,
            maxQueueSize: 50_000,
            scheduledDelayMillis: 200,
          }),
        ],
      });
      this.providers.set(service, p);
    }
    return p.getTracer(`${service}-instrumentation`, '0.9.0');
  }

  async flush(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.forceFlush()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.shutdown()));
  }
}

interface SpanSpec {
  service: string;
  name: string;
  kind?: SpanKind;
  /** ms after the trace's start. */
  at: number;
  ms: number;
  attributes?: Attributes;
  error?: { message: string; stack?: string };
  links?: Link[];
  children?: SpanSpec[];
}

/** Starts and ends the spans of a tree with explicit times; returns the root span's ids. */
function emit(shop: Shop, spec: SpanSpec, t0: number, parent?: Span): { traceId: string; spanId: string; spans: Map<string, string> } {
  const spans = new Map<string, string>();
  const walk = (s: SpanSpec, p?: Span): Span => {
    const ctx = p === undefined ? context.active() : trace.setSpan(context.active(), p);
    const span = shop.tracer(s.service).startSpan(
      s.name,
      { kind: s.kind ?? SpanKind.INTERNAL, attributes: s.attributes, startTime: t0 + s.at, links: s.links },
      ctx,
    );
    spans.set(`${s.service}/${s.name}`, span.spanContext().spanId);
    for (const c of s.children ?? []) walk(c, span);
    if (s.error !== undefined) {
      const err = new Error(s.error.message);
      err.stack = s.error.stack ?? `Error: ${s.error.message}\n    at handler (/srv/${s.service}/src/index.js:10:5)`;
      span.recordException(err, t0 + s.at + s.ms * 0.9);
      span.setStatus({ code: SpanStatusCode.ERROR, message: s.error.message });
    }
    span.end(t0 + s.at + s.ms);
    return span;
  };
  const root = walk(spec, parent);
  return { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId, spans };
}

const http = (method: string, route: string, status = 200): Attributes => ({
  'http.request.method': method,
  'http.route': route,
  'http.response.status_code': status,
});

interface Variant {
  /** Stock lookup time in ms. */
  stock: number;
  /** The payment database call in ms. */
  db: number;
  /** Uninstrumented time in checkout before charging, ms. */
  gap?: number;
  fail?: boolean;
  /** Products loaded one by one (the N+1 pattern). */
  products?: number;
  retries?: number;
  links?: Link[];
}

/** One checkout request: frontend → checkout → (inventory, payment → postgres). */
function checkoutTrace(v: Variant): SpanSpec {
  const products: SpanSpec[] = [];
  let at = 4;
  for (let i = 0; i < (v.products ?? 0); i++) {
    products.push({
      service: 'checkout',
      name: 'SELECT products',
      kind: SpanKind.CLIENT,
      at,
      ms: 2.5,
      attributes: { 'db.system': 'postgresql', 'db.name': 'shop', 'db.statement': 'SELECT * FROM products WHERE id = $1', 'peer.service': 'postgres' },
    });
    at += 3;
  }
  const stockAt = at + 1;
  const stockEnd = stockAt + v.stock + 2;
  const charges: SpanSpec[] = [];
  let chargeAt = stockEnd + (v.gap ?? 1);
  for (let attempt = 0; attempt <= (v.retries ?? 0); attempt++) {
    const last = attempt === (v.retries ?? 0);
    const failed = !last || v.fail === true;
    const db = last ? v.db : 3;
    const stack =
      'Error: card declined by issuer\n' +
      '    at chargeCard (/srv/payment/src/charge.js:42:13)\n' +
      '    at async handleCharge (/srv/payment/src/routes.js:17:5)\n' +
      '    at async Server.<anonymous> (/srv/payment/node_modules/framework/index.js:311:9)';
    charges.push({
      service: 'checkout',
      name: 'POST /charge',
      kind: SpanKind.CLIENT,
      at: chargeAt,
      ms: db + 8,
      attributes: { ...http('POST', '/charge', failed ? 502 : 200), 'server.address': 'payment', 'retry.attempt': attempt },
      error: failed ? { message: 'payment failed: 502' } : undefined,
      children: [
        {
          service: 'payment',
          name: 'POST /charge',
          kind: SpanKind.SERVER,
          at: chargeAt + 1,
          ms: db + 6,
          attributes: {
            ...http('POST', '/charge', failed ? 502 : 200),
            'code.filepath': '/srv/payment/src/routes.js',
            'code.lineno': 17,
            'code.function': 'handleCharge',
            'payment.amount': 42.5,
            'payment.currency': 'EUR',
          },
          error: failed ? { message: 'card declined by issuer', stack } : undefined,
          children: [
            {
              service: 'payment',
              name: 'UPDATE payments',
              kind: SpanKind.CLIENT,
              at: chargeAt + 2,
              ms: db,
              attributes: {
                'db.system': 'postgresql',
                'db.name': 'payments',
                'db.statement': "UPDATE payments SET status = 'captured', captured_at = now() WHERE order_id = $1",
                'peer.service': 'postgres',
                'code.filepath': '/srv/payment/src/charge.js',
                'code.lineno': 38,
                'code.function': 'chargeCard',
              },
            },
          ],
        },
      ],
    });
    chargeAt += db + 10;
  }
  const checkoutEnd = chargeAt + 2;
  return {
    service: 'frontend',
    name: 'GET /checkout',
    kind: SpanKind.SERVER,
    at: 0,
    ms: checkoutEnd + 4,
    attributes: { ...http('GET', '/checkout', v.fail ? 500 : 200), 'user_agent.original': 'Mozilla/5.0' },
    error: v.fail ? { message: 'checkout failed' } : undefined,
    children: [
      {
        service: 'frontend',
        name: 'POST /api/checkout',
        kind: SpanKind.CLIENT,
        at: 1,
        ms: checkoutEnd,
        attributes: { ...http('POST', '/api/checkout', v.fail ? 500 : 200), 'server.address': 'checkout' },
        children: [
          {
            service: 'checkout',
            name: 'POST /api/checkout',
            kind: SpanKind.SERVER,
            at: 2,
            ms: checkoutEnd - 2,
            links: v.links,
            attributes: { ...http('POST', '/api/checkout', v.fail ? 500 : 200), 'cart.items': v.products ?? 1, 'enduser.id': 'user-1842' },
            error: v.fail ? { message: 'payment failed' } : undefined,
            children: [
              ...products,
              {
                service: 'checkout',
                name: 'GET /stock',
                kind: SpanKind.CLIENT,
                at: stockAt,
                ms: v.stock + 2,
                attributes: { ...http('GET', '/stock'), 'server.address': 'inventory' },
                children: [
                  {
                    service: 'inventory',
                    name: 'GET /stock',
                    kind: SpanKind.SERVER,
                    at: stockAt + 1,
                    ms: v.stock,
                    attributes: http('GET', '/stock'),
                    children: [
                      {
                        service: 'inventory',
                        name: 'HGETALL',
                        kind: SpanKind.CLIENT,
                        at: stockAt + 1.5,
                        ms: Math.max(0.5, v.stock - 1),
                        attributes: { 'db.system': 'redis', 'db.statement': 'HGETALL stock:sku-991', 'peer.service': 'redis' },
                      },
                    ],
                  },
                ],
              },
              ...charges,
            ],
          },
        ],
      },
    ],
  };
}

export interface SeedResult {
  /** The slow trace: its payment database call takes 4.2 s. */
  readonly slowTraceId: string;
  readonly slowDbSpanId: string;
  readonly traceIds: string[];
  /** Unix ms of the oldest trace's start. */
  readonly oldestMs: number;
}

/**
 * The shop's last half hour: 24 ordinary checkouts, 3 failed ones (one a retry storm),
 * 2 slow stock lookups (1.2 s and 1.6 s), and one 4.5 s checkout whose payment database call
 * takes 4.2 s, 10 minutes ago.
 */
export async function seedShop(otlpHttpUrl: string, now = Date.now()): Promise<SeedResult> {
  const shop = new Shop(otlpHttpUrl);
  const traceIds: string[] = [];
  let oldestMs = now;
  const at = (minutesAgo: number): number => {
    const t = now - minutesAgo * 60_000;
    oldestMs = Math.min(oldestMs, t);
    return t;
  };
  const rnd = mulberry32(7);
  for (let i = 0; i < 24; i++) {
    const v: Variant = { stock: 8 + rnd() * 30, db: 6 + rnd() * 25, products: i % 4 === 0 ? 8 : 1 };
    traceIds.push(emit(shop, checkoutTrace(v), at(28 - i * 1.1 - rnd() * 0.5)).traceId);
  }
  traceIds.push(emit(shop, checkoutTrace({ stock: 15, db: 12, fail: true }), at(21.3)).traceId);
  traceIds.push(emit(shop, checkoutTrace({ stock: 12, db: 9, fail: true, retries: 3 }), at(14.2)).traceId);
  traceIds.push(emit(shop, checkoutTrace({ stock: 20, db: 14, fail: true }), at(3.4)).traceId);
  traceIds.push(emit(shop, checkoutTrace({ stock: 1200, db: 15 }), at(18.7)).traceId);
  traceIds.push(emit(shop, checkoutTrace({ stock: 1600, db: 22, products: 3 }), at(6.1)).traceId);
  const previous = traceIds[traceIds.length - 2];
  const slow = emit(
    shop,
    checkoutTrace({ stock: 18, db: 4200, gap: 260, links: [{ context: { traceId: previous, spanId: '00f067aa0ba902b7', traceFlags: 1 }, attributes: { 'link.reason': 'same cart, earlier attempt' } }] }),
    at(10),
  );
  traceIds.push(slow.traceId);
  await shop.flush();
  await shop.close();
  const slowDbSpanId = slow.spans.get('payment/UPDATE payments');
  if (slowDbSpanId === undefined) throw new Error('seed: no payment database span');
  return { slowTraceId: slow.traceId, slowDbSpanId, traceIds, oldestMs };
}

/** A trace of `count` spans from one service (a batch job), `fanout` children per span. */
export async function sendBigTrace(otlpHttpUrl: string, count = 10_000, now = Date.now()): Promise<string> {
  const shop = new Shop(otlpHttpUrl);
  const tracer = shop.tracer('batch-import');
  const t0 = now - 120_000;
  const rnd = mulberry32(99);
  const root = tracer.startSpan('import catalog', { kind: SpanKind.SERVER, startTime: t0, attributes: { 'job.items': count } });
  let made = 1;
  // Level 1: 100 chunks; level 2: items in each chunk; level 3: one write per item.
  const chunks = 100;
  const perChunk = Math.floor((count - 1 - chunks) / chunks / 2);
  const chunkMs = 600;
  for (let c = 0; c < chunks && made < count; c++) {
    const cs = t0 + 5 + c * chunkMs;
    const chunk = tracer.startSpan(`import chunk ${c}`, { startTime: cs, attributes: { 'chunk.index': c } }, trace.setSpan(context.active(), root));
    made++;
    for (let i = 0; i < perChunk && made + 2 <= count; i++) {
      const is = cs + 1 + i * (chunkMs / perChunk);
      const item = tracer.startSpan('process item', { startTime: is, attributes: { 'item.sku': `sku-${c}-${i}` } }, trace.setSpan(context.active(), chunk));
      const w = tracer.startSpan(
        'INSERT items',
        { kind: SpanKind.CLIENT, startTime: is + 0.2, attributes: { 'db.system': 'postgresql', 'db.statement': 'INSERT INTO items VALUES ($1, $2)' } },
        trace.setSpan(context.active(), item),
      );
      w.end(is + 0.2 + rnd() * 2);
      item.end(is + 2.5);
      made += 2;
    }
    chunk.end(cs + chunkMs - 2);
  }
  while (made < count) {
    tracer.startSpan('cleanup', { startTime: t0 + chunks * chunkMs + made * 0.01 }, trace.setSpan(context.active(), root)).end(t0 + chunks * chunkMs + made * 0.01 + 0.5);
    made++;
  }
  root.end(t0 + chunks * chunkMs + 200);
  await shop.flush();
  await shop.close();
  return root.spanContext().traceId;
}

/** Attribute values, names and an event written to break a page that renders them as HTML. */
export const HOSTILE = {
  script: '<script>window.__pwned = "script"</script>',
  img: '<img src=x onerror="window.__pwned = \'img\'">',
};

export async function sendHostileTrace(otlpHttpUrl: string, now = Date.now()): Promise<string> {
  const shop = new Shop(otlpHttpUrl);
  const tracer = shop.tracer('guestbook', { 'team.name': HOSTILE.img });
  const root = tracer.startSpan(`POST /comments ${HOSTILE.img}`, {
    kind: SpanKind.SERVER,
    startTime: now - 90_000,
    attributes: { 'comment.body': HOSTILE.script, 'comment.author': HOSTILE.img, 'http.route': '/comments' },
  });
  root.addEvent(HOSTILE.script, { 'exception.message': HOSTILE.img }, now - 89_990);
  const child = tracer.startSpan(HOSTILE.script, { startTime: now - 89_995, attributes: { [HOSTILE.img]: HOSTILE.script } }, trace.setSpan(context.active(), root));
  child.end(now - 89_985);
  root.end(now - 89_980);
  await shop.flush();
  await shop.close();
  return root.spanContext().traceId;
}

/** One short request from `service` (live updates). */
export async function sendOneTrace(otlpHttpUrl: string, service: string, name = 'GET /ping', now = Date.now()): Promise<string> {
  const shop = new Shop(otlpHttpUrl);
  const t = emit(shop, { service, name, kind: SpanKind.SERVER, at: 0, ms: 12, attributes: http('GET', '/ping'), children: [{ service, name: 'work', at: 2, ms: 8 }] }, now - 20);
  await shop.flush();
  await shop.close();
  return t.traceId;
}

/**
 * A trace whose root is still running: its children are exported now, the root when
 * `finish()` is called (an SDK exports a span only once it ends).
 */
export async function startGrowingTrace(otlpHttpUrl: string, service: string): Promise<{ traceId: string; finish: () => Promise<void> }> {
  const shop = new Shop(otlpHttpUrl);
  const tracer = shop.tracer(service);
  const now = Date.now();
  const root = tracer.startSpan('POST /jobs', { kind: SpanKind.SERVER, startTime: now - 500 });
  const ctx = trace.setSpan(context.active(), root);
  for (let i = 0; i < 3; i++) tracer.startSpan(`step ${i + 1}`, { startTime: now - 450 + i * 100 }, ctx).end(now - 380 + i * 100);
  await shop.flush();
  return {
    traceId: root.spanContext().traceId,
    finish: async () => {
      root.end();
      await shop.flush();
      await shop.close();
    },
  };
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = process.argv[2] ?? 'http://127.0.0.1:4318';
  const seeded = await seedShop(url);
  const big = await sendBigTrace(url);
  const hostile = await sendHostileTrace(url);
  process.stdout.write(`seeded ${seeded.traceIds.length} traces (slow: ${seeded.slowTraceId}), big: ${big}, hostile: ${hostile}\n`);
}
