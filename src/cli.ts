#!/usr/bin/env node
/**
 * The `tracebox` command: parse flags, start everything, print where to send spans,
 * and close cleanly on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, HELP, parseCommandLine } from './config.ts';
import { PortInUseError, startTracebox } from './server.ts';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  // grpc-js logs its own multi-line errors (e.g. for a taken port); tracebox reports them itself.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  const command = parseCommandLine(process.argv.slice(2), process.env);
  if (command.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`tracebox ${version()}\n`);
    return 0;
  }
  const tb = await startTracebox(command.options);
  process.stdout.write(
    [
      `tracebox ${version()} is ready`,
      `  OTLP/gRPC   ${tb.otlpGrpcUrl}`,
      `  OTLP/HTTP   ${tb.otlpHttpUrl}/v1/traces`,
      `  Tempo API   ${tb.apiUrl}  (viewer: ${tb.apiUrl}/)`,
      `  data        ${tb.dbPath ?? 'in memory'}`,
      '',
      'Point an OpenTelemetry SDK at it:',
      `  export OTEL_EXPORTER_OTLP_ENDPOINT=${tb.otlpHttpUrl}`,
      '',
    ].join('\n'),
  );
  if (command.options.host === '0.0.0.0' || command.options.host === '::') {
    process.stderr.write('tracebox: warning: listening on all interfaces; anyone who can reach this machine can read and write traces\n');
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await tb.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof PortInUseError) {
      process.stderr.write(`tracebox: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`tracebox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
