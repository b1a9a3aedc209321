/**
 * The Model Context Protocol server for coding agents: stateless streamable HTTP at
 * `/mcp` (a fresh server and transport per POST, JSON answers, no sessions), with tools
 * to search traces, read one as a tree, list services with RED figures, explain a
 * trace's slowest path, read the log records of a trace or span and search log records. Each answer is bounded (about TEXT_BUDGET characters of text)
 * and comes as text and as structured content matching the tool's output schema.
 */
import { Hono } from 'hono';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Search } from '../query/index.ts';
import type { StoreReader } from '../store/index.ts';
import { VERSION } from '../version.ts';
import { guarded } from './common.ts';
import { explainSlowPath, explainSlowPathInput, explainSlowPathOutput } from './explain-slow-path.ts';
import { getTrace, getTraceInput, getTraceOutput } from './get-trace.ts';
import { listServices, listServicesInput, listServicesOutput } from './list-services.ts';
import { getLogs, getLogsInput, getLogsOutput, searchLogs, searchLogsInput, searchLogsOutput } from './logs.ts';
import { searchTraces, searchTracesInput, searchTracesOutput } from './search-traces.ts';

export interface McpOptions {
  readonly store: StoreReader;
  readonly search: Search;
  readonly log: (line: string) => void;
}

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

export function createMcpServer(options: McpOptions): McpServer {
  const { store, search, log } = options;
  const server = new McpServer(
    { name: 'tracebox', version: VERSION },
    {
      instructions:
        'OpenTelemetry traces and log records stored by tracebox. Start with list_services or search_traces, then get_trace, explain_slow_path or get_logs with a trace id; search_logs finds log records by their words.',
    },
  );
  server.registerTool(
    'search_traces',
    {
      title: 'Search traces',
      description:
        'Find stored traces with a TraceQL query. Returns one compact entry per trace, newest first: trace id, root service and ' +
        'span name, duration, span/service/error counts, start time, and the spans the query matched.',
      inputSchema: searchTracesInput,
      outputSchema: searchTracesOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'search_traces', (args) => searchTraces(search, args)),
  );
  server.registerTool(
    'get_trace',
    {
      title: 'Get a trace as a tree',
      description:
        'One trace as a compact indented tree: per span its service, name, kind, duration, status, span id and key attributes ' +
        '(HTTP route and status, DB statement, RPC method…), followed by every error with its message and exception events.',
      inputSchema: getTraceInput,
      outputSchema: getTraceOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'get_trace', (args) => getTrace(store, args)),
  );
  server.registerTool(
    'list_services',
    {
      title: 'List services with RED figures',
      description:
        'Every service that sent spans in a time window (default: the last hour) with its request rate, error rate and ' +
        'p50/p95/p99 duration, computed from its server and consumer spans.',
      inputSchema: listServicesInput,
      outputSchema: listServicesOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'list_services', (args) => listServices(search, args)),
  );
  server.registerTool(
    'explain_slow_path',
    {
      title: 'Explain the slowest path of a trace',
      description:
        "A trace's critical path from the root: the chain of spans that determined when it ended, each with its own (self) " +
        'time and share of the trace, and a one-paragraph summary of where the time went.',
      inputSchema: explainSlowPathInput,
      outputSchema: explainSlowPathOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'explain_slow_path', (args) => explainSlowPath(store, args)),
  );
  server.registerTool(
    'get_logs',
    {
      title: 'Get the log records of a trace or span',
      description:
        'The log records emitted inside a trace (or one of its spans), oldest first: offset into the trace, severity, service, ' +
        'body, attributes and the span each belongs to. Says how many there are in all and when some were left out.',
      inputSchema: getLogsInput,
      outputSchema: getLogsOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'get_logs', (args) => getLogs(store, args)),
  );
  server.registerTool(
    'search_logs',
    {
      title: 'Search log records',
      description:
        'Log records by words of the body, service, least severity, a record attribute and a time window (default: the last ' +
        'hour), newest first, each with its trace and span id (open those with get_trace or get_logs). Says when more matched.',
      inputSchema: searchLogsInput,
      outputSchema: searchLogsOutput,
      annotations: READ_ONLY,
    },
    guarded(log, 'search_logs', (args) => searchLogs(store, args)),
  );
  // The SDK announces tools.listChanged as soon as a tool is registered; this tool list
  // never changes, so clients are told not to wait for notifications.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  return server;
}

function methodNotAllowed(): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }), {
    status: 405,
    headers: { allow: 'POST', 'content-type': 'application/json' },
  });
}

/** `/mcp` routes for the API app: POST speaks MCP; GET (no server-sent stream without sessions) and DELETE answer 405. */
export function createMcpRoutes(options: McpOptions): Hono {
  const app = new Hono();
  app.post('/mcp', async (c) => {
    const server = createMcpServer(options);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      return await transport.handleRequest(c.req.raw);
    } catch (err) {
      options.log(`mcp: ${(err as Error).stack ?? String(err)}`);
      return c.json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null }, 500);
    } finally {
      await server.close();
    }
  });
  app.get('/mcp', () => methodNotAllowed());
  app.delete('/mcp', () => methodNotAllowed());
  return app;
}
