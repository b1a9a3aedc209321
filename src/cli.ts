#!/usr/bin/env node
/** The `tracebox` executable: runs a subcommand and exits with its code. */
import * as grpc from '@grpc/grpc-js';
import { runCli } from './commands/index.ts';
import { ConfigError } from './config.ts';
import { PortInUseError } from './server.ts';
import { TraceboxApiError } from './testing/index.ts';

// grpc-js logs its own multi-line errors (e.g. for a taken port); tracebox reports them itself.
grpc.setLogVerbosity(grpc.logVerbosity.NONE);

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof PortInUseError) {
      process.stderr.write(`tracebox: ${err.message}\n`);
      process.exit(2);
    }
    // The message for the user; the stack only when asked for.
    const detail = err instanceof Error ? (process.env.TRACEBOX_DEBUG ? (err.stack ?? err.message) : err.message) : String(err);
    const hint = err instanceof TraceboxApiError && err.status === 401 ? '\nGive the token with --auth-token TOKEN or TRACEBOX_AUTH_TOKEN.' : '';
    process.stderr.write(`tracebox: ${detail}${hint}\n`);
    process.exit(1);
  },
);
