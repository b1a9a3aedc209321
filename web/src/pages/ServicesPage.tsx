/**
 * @module pages/ServicesPage
 * The service map from the derived metrics (`/api/service-graph`; computed from the
 * newest traces when this tracebox lacks it), a RED table of every node, and for the
 * selected service its per-operation RED charts over time (TraceQL metrics,
 * `/api/metrics/query_range`) with links to its slowest and failing traces.
 * URL: /services?range=&node=
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { labelValue, queryRange, sampleTraces, serviceGraph, type RangeSeries } from '../api.ts';
import { assignColors, serviceColor } from '../colors.ts';
import { fmtNumber, fmtPct, fmtRate, fmtSec, rateUnit } from '../format.ts';
import { markReady } from '../keys.ts';
import { quote } from '../model/query-builder.ts';
import { graphFromTraces, type GraphNode, type ServiceGraph } from '../model/service-graph.ts';
import { setParams, type Route } from '../router.ts';
import { ErrorBox, Icon, SendSpansHelp, Spinner } from '../ui/common.tsx';
import { LineChart, type Series } from '../ui/LineChart.tsx';
import { ServiceMap } from '../ui/ServiceMap.tsx';
import { resolveRange, TimeRangePicker } from '../ui/TimeRange.tsx';

const REFRESH_MS = 15_000;

function searchHref(q: string, range: URLSearchParams, sort?: string): string {
  const p = new URLSearchParams();
  p.set('q', q);
  for (const k of ['range', 'from', 'to']) {
    const v = range.get(k);
    if (v) p.set(k, v);
  }
  if (sort) p.set('sort', sort);
  return `/search?${p}`;
}

function toSeries(list: RangeSeries[] | undefined, by: string, scale = 1, top = 6): Series[] {
  if (!list) return [];
  const series = list.map((s) => ({
    name: String(labelValue(s.labels, by) ?? '(all)'),
    points: s.samples.map((x) => [Number(x.timestampMs), x.value * scale] as const),
  }));
  const weight = (s: Series) => s.points.reduce((n, p) => n + (Number.isFinite(p[1]) ? p[1] : 0), 0);
  return series.sort((a, b) => weight(b) - weight(a)).slice(0, top);
}

/** Rates over time in one unit for the whole chart, per second or per minute or hour when they are that low. */
function RateChart({ what, list }: { what: string; list: RangeSeries[] | undefined }): JSX.Element {
  const perSec = toSeries(list, 'name');
  const max = Math.max(0, ...perSec.flatMap((s) => s.points.map((p) => p[1]).filter(Number.isFinite)));
  const unit = rateUnit(max);
  const series = perSec.map((s) => ({ ...s, points: s.points.map(([t, v]) => [t, v * unit.scale] as const) }));
  return <LineChart title={`${what} per ${unit.label}`} series={series} format={fmtNumber} />;
}

interface Red {
  rate?: RangeSeries[];
  errors?: RangeSeries[];
  latency?: RangeSeries[];
  missing?: boolean;
}

function ServicePanel({ node, params }: { node: GraphNode; params: URLSearchParams }): JSX.Element {
  const [red, setRed] = useState<Red | undefined>();
  const [error, setError] = useState<unknown>();
  const w = resolveRange(params);
  const rangeKey = `${params.get('range')}|${params.get('from')}|${params.get('to')}`;
  useEffect(() => {
    if (node.type !== 'service') return;
    const ac = new AbortController();
    setRed(undefined);
    setError(undefined);
    const step = Math.max(15, Math.round((w.endSec - w.startSec) / 60));
    const svc = `resource.service.name = ${quote(node.id)}`;
    const run = async () => {
      let sel = `{ ${svc} && (kind = server || kind = consumer) }`;
      let rate = await queryRange(`${sel} | rate() by (name)`, w.startSec, w.endSec, step, ac.signal);
      if (rate === undefined) return setRed({ missing: true });
      if (rate.length === 0) {
        sel = `{ ${svc} }`;
        rate = await queryRange(`${sel} | rate() by (name)`, w.startSec, w.endSec, step, ac.signal);
      }
      const withStatus = sel.replace(/ }$/, ' && status = error }');
      const [errors, latency] = await Promise.all([
        queryRange(`${withStatus} | rate() by (name)`, w.startSec, w.endSec, step, ac.signal),
        queryRange(`${sel} | quantile_over_time(duration, .5, .95, .99) by (name)`, w.startSec, w.endSec, step, ac.signal),
      ]);
      setRed({ rate, errors, latency });
    };
    run().catch((err) => !ac.signal.aborted && setError(err));
    return () => ac.abort();
  }, [node.id, rangeKey]);

  const ops = useMemo(() => {
    if (!red?.rate) return [];
    const steps = (s: RangeSeries) => s.samples.filter((x) => Number.isFinite(x.value));
    const avg = (s: RangeSeries | undefined) => (s ? steps(s).reduce((n, x) => n + x.value, 0) / Math.max(1, s.samples.length) : 0);
    const q = (name: string, p: number) => {
      const s = red.latency?.find((x) => labelValue(x.labels, 'name') === name && Number(labelValue(x.labels, 'p')) === p);
      const vals = s ? steps(s).map((x) => x.value) : [];
      return vals.length ? Math.max(...vals) : null;
    };
    return red.rate
      .map((s) => {
        const name = String(labelValue(s.labels, 'name') ?? '');
        const rate = avg(s);
        const err = avg(red.errors?.find((x) => labelValue(x.labels, 'name') === name));
        return { name, rate, errorRate: rate > 0 ? err / rate : 0, p50: q(name, 0.5), p95: q(name, 0.95), p99: q(name, 0.99) };
      })
      .sort((a, b) => b.rate - a.rate);
  }, [red]);

  const p95 = (red?.latency ?? []).filter((s) => Number(labelValue(s.labels, 'p')) === 0.95);
  const svcQ = `{ resource.service.name = ${quote(node.id)} }`;
  return (
    <section class="panel service-panel" data-testid="service-panel">
      <header class="service-panel-head">
        <h2>
          <i class="dot big" style={{ background: node.type === 'service' ? serviceColor(node.id) : '#94a3b8' }} /> {node.id}
        </h2>
        <div class="row-gap">
          <a class="btn" href={searchHref(svcQ, params, 'duration')} data-testid="slowest">
            Slowest traces
          </a>
          <a class="btn" href={searchHref(`{ resource.service.name = ${quote(node.id)} && status = error }`, params)} data-testid="erroring">
            <Icon name="error" /> Failing traces
          </a>
          <button type="button" class="btn-icon" aria-label="Close" onClick={() => setParams({ node: undefined })}>
            <Icon name="close" />
          </button>
        </div>
      </header>
      <div class="red-figures">
        <div>
          <span class="stat-label">Rate</span>
          <span class="stat-value">{fmtRate(node.rate)}</span>
        </div>
        <div>
          <span class="stat-label">Errors</span>
          <span class={`stat-value${node.errorRate > 0 ? ' err-text' : ''}`}>{fmtPct(node.errorRate)}</span>
        </div>
        <div>
          <span class="stat-label">p50</span>
          <span class="stat-value">{fmtSec(node.latency.p50)}</span>
        </div>
        <div>
          <span class="stat-label">p95</span>
          <span class="stat-value">{fmtSec(node.latency.p95)}</span>
        </div>
        <div>
          <span class="stat-label">p99</span>
          <span class="stat-value">{fmtSec(node.latency.p99)}</span>
        </div>
      </div>
      {node.type !== 'service' ? (
        <p class="muted">
          {node.id} sends no spans of its own ({node.type}); its figures are those of the calls made to it.
        </p>
      ) : error !== undefined ? (
        <ErrorBox error={error} />
      ) : red === undefined ? (
        <Spinner label="Loading RED metrics" />
      ) : red.missing ? (
        <p class="muted">Per-operation charts need TraceQL metrics (/api/metrics/query_range), which this tracebox does not serve.</p>
      ) : (
        <>
          <div class="charts">
            <RateChart what="Requests" list={red.rate} />
            <RateChart what="Errors" list={red.errors} />
            <LineChart title="Latency p95" series={toSeries(p95, 'name', 1e9)} format={(v) => fmtSec(v / 1e9)} />
          </div>
          <table class="results ops" data-testid="operations">
            <thead>
              <tr>
                <th>Operation</th>
                <th class="num">Rate</th>
                <th class="num">Errors</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">p99</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {ops.map((o) => (
                <tr key={o.name}>
                  <td>
                    <i class="dot" style={{ background: serviceColor(o.name) }} /> {o.name}
                  </td>
                  <td class="num">{fmtRate(o.rate)}</td>
                  <td class={`num${o.errorRate > 0 ? ' err-text' : ''}`}>{fmtPct(o.errorRate)}</td>
                  <td class="num">{fmtSec(o.p50)}</td>
                  <td class="num">{fmtSec(o.p95)}</td>
                  <td class="num">{fmtSec(o.p99)}</td>
                  <td>
                    <a href={searchHref(`{ resource.service.name = ${quote(node.id)} && name = ${quote(o.name)} }`, params, 'duration')}>traces →</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function ServicesPage({ route }: { route: Route }): JSX.Element {
  const p = route.params;
  const selected = p.get('node') ?? '';
  const [graph, setGraph] = useState<ServiceGraph | undefined>();
  const [derived, setDerived] = useState(true);
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const rangeKey = `${p.get('range')}|${p.get('from')}|${p.get('to')}`;
  useEffect(() => {
    const ac = new AbortController();
    const w = resolveRange(p);
    const load = async () => {
      let g = await serviceGraph(w.startSec, w.endSec, ac.signal);
      let fromApi = true;
      if (g === undefined) {
        fromApi = false;
        g = graphFromTraces(await sampleTraces('{ }', 300, ac.signal), w.startSec, w.endSec);
      }
      assignColors(g.nodes.filter((n) => n.type === 'service').map((n) => n.id));
      setGraph(g);
      setDerived(fromApi);
      setError(undefined);
    };
    load()
      .catch((err) => !ac.signal.aborted && setError(err))
      .finally(() => markReady());
    return () => ac.abort();
  }, [rangeKey, tick]);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);

  const node = graph?.nodes.find((n) => n.id === selected);
  const nodes = [...(graph?.nodes ?? [])].filter((n) => n.type !== 'user').sort((a, b) => b.rate - a.rate);
  return (
    <div class="page services-page">
      <section class="panel">
        <div class="query-head">
          <h1 class="page-title">Services</h1>
          <div class="row-gap">
            <TimeRangePicker params={p} />
            <button type="button" class="btn ghost" onClick={() => setTick((n) => n + 1)}>
              Refresh
            </button>
          </div>
        </div>
        {error !== undefined ? (
          <ErrorBox error={error} />
        ) : graph === undefined ? (
          <Spinner label="Loading the service graph" />
        ) : graph.nodes.length === 0 ? (
          <SendSpansHelp title="No services in this time range" />
        ) : (
          <>
            <ServiceMap graph={graph} selected={selected} onSelect={(id) => setParams({ node: id === selected ? undefined : id })} />
            <p class="muted small map-note">
              {derived ? 'From the derived service-graph metrics.' : 'Computed from the 300 newest traces (this tracebox has no /api/service-graph).'} Node size: request rate ·
              red arc: error share · edges: rate, p95, errors. Click a service for its operations.
            </p>
          </>
        )}
      </section>
      {node ? <ServicePanel node={node} params={p} /> : null}
      {nodes.length > 0 ? (
        <section class="panel table-panel">
          <table class="results" data-testid="services-table">
            <thead>
              <tr>
                <th>Service</th>
                <th class="num">Requests</th>
                <th class="num">Rate</th>
                <th class="num">Error rate</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">p99</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr key={n.id} class={n.id === selected ? 'cursor' : ''} onClick={() => setParams({ node: n.id })}>
                  <td>
                    <i class="dot" style={{ background: n.type === 'service' ? serviceColor(n.id) : '#94a3b8' }} /> <b>{n.id}</b>{' '}
                    {n.type !== 'service' ? <span class="muted small">{n.type}</span> : null}
                  </td>
                  <td class="num">{n.requests.toLocaleString('en-US')}</td>
                  <td class="num">{fmtRate(n.rate)}</td>
                  <td class={`num${n.errorRate > 0 ? ' err-text' : ''}`}>{fmtPct(n.errorRate)}</td>
                  <td class="num">{fmtSec(n.latency.p50)}</td>
                  <td class="num">{fmtSec(n.latency.p95)}</td>
                  <td class="num">{fmtSec(n.latency.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}
