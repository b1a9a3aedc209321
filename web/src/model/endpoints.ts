/**
 * @module model/endpoints
 * Where an app should send its spans, as the empty state spells it out: this host and the
 * ports the receivers of this tracebox listen on (from the doctor), or tracebox's
 * defaults when it does not say.
 */

export interface ReceiverPorts {
  readonly otlpHttp: number;
  readonly otlpGrpc: number;
  readonly zipkin?: number;
}

export const DEFAULT_PORTS: ReceiverPorts = { otlpHttp: 4318, otlpGrpc: 4317 };

export interface Endpoints {
  /** OTLP/HTTP base URL (the SDK adds /v1/traces). */
  readonly otlpHttp: string;
  readonly otlpGrpc: string;
  /** Zipkin's span endpoint, when the receiver is on. */
  readonly zipkin?: string;
  /** Whether the ports are the defaults assumed, not the instance's own. */
  readonly assumed: boolean;
}

/** `hostname` as the browser sees this page ('' in a file: loopback). */
export function endpoints(hostname: string, ports: ReceiverPorts | undefined): Endpoints {
  const h = hostname === '' ? '127.0.0.1' : hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  const p = ports ?? DEFAULT_PORTS;
  return {
    otlpHttp: `http://${h}:${p.otlpHttp}`,
    otlpGrpc: `http://${h}:${p.otlpGrpc}`,
    ...(p.zipkin === undefined ? {} : { zipkin: `http://${h}:${p.zipkin}/api/v2/spans` }),
    assumed: ports === undefined,
  };
}
