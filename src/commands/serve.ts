/** `tracebox [serve]`: start everything, print where to send traces and logs, close cleanly on SIGINT/SIGTERM. */
import { HELP, parseCommandLine } from '../config.ts';
import { startTracebox } from '../server.ts';
import { VERSION } from '../version.ts';

export async function serve(args: readonly string[]): Promise<number> {
  const command = parseCommandLine(args, process.env);
  if (command.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`tracebox ${VERSION}\n`);
    return 0;
  }
  for (const warning of command.warnings) process.stderr.write(`tracebox: warning: ${warning}\n`);
  const tb = await startTracebox(command.options);
  process.stdout.write(
    [
      `tracebox ${VERSION} is ready: it takes traces and logs`,
      `  OTLP/gRPC   ${tb.otlpGrpcUrl}`,
      `  OTLP/HTTP   ${tb.otlpHttpUrl}/v1/traces  ${tb.otlpHttpUrl}/v1/logs`,
      ...(tb.zipkinUrl === undefined ? [] : [`  Zipkin      ${tb.zipkinUrl}/api/v2/spans`]),
      `  Tempo API   ${tb.apiUrl}  (HTTP and streaming gRPC; viewer: ${tb.apiUrl}/)`,
      `  data        ${tb.dbPath ?? 'in memory'}`,
      '',
      'Point an OpenTelemetry SDK at it:',
      `  export OTEL_EXPORTER_OTLP_ENDPOINT=${tb.otlpHttpUrl}`,
      ...(command.options.authToken === undefined ? [] : ['  export OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>']),
      '  export OTEL_SERVICE_NAME=<your service>   # SDKs report unknown_service without it',
      '  export OTEL_METRICS_EXPORTER=none         # tracebox does not store metrics',
      '',
    ].join('\n'),
  );
  if (command.options.host === '0.0.0.0' || command.options.host === '::') {
    const who = command.options.authToken === undefined ? 'anyone who can reach this machine' : 'anyone with the token';
    process.stderr.write(`tracebox: warning: listening on all interfaces; ${who} can read and write traces\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await tb.close();
  return 0;
}
