/**
 * Runs the Dockerfile's final stage without Docker (none runs on these machines): reads its
 * ENV, WORKDIR, USER, VOLUME, EXPOSE, HEALTHCHECK and CMD, lays out what the stage copies
 * (package.json, dist/ and the production node_modules only) in a temporary directory,
 * and starts the CMD there with that environment, as a non-root user when run as root.
 * Then it smoke-tests it (scripts/smoke.ts), runs the HEALTHCHECK command against it and,
 * when this machine has a non-loopback address, reaches /ready through that address too.
 * Ports are overridden with TRACEBOX_*_PORT=0 and the data volume with a temporary directory.
 * Part of scripts/check-docker.sh; expects `npm run build` to have run.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { smoke } from './smoke.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NOBODY = 65534;

interface Stage {
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly user?: string;
  readonly volumes: string[];
  readonly expose: string[];
  readonly healthcheck?: string[];
  readonly cmd?: string[];
}

/** Instructions of the Dockerfile's last stage, continuation lines joined, comments dropped. */
function finalStage(dockerfile: string): Stage {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const from = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const stage = { env: {} as Record<string, string>, workdir: '/', volumes: [] as string[], expose: [] as string[] } as {
    -readonly [K in keyof Stage]: Stage[K];
  };
  for (const line of lines.slice(from + 1)) {
    const [, instruction, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction?.toUpperCase()) {
      case 'ENV':
        for (const m of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[m[1]] = m[2].replace(/^"|"$/g, '');
        break;
      case 'WORKDIR':
        stage.workdir = rest;
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'VOLUME':
        stage.volumes.push(...(rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/)));
        break;
      case 'EXPOSE':
        stage.expose.push(...rest.split(/\s+/));
        break;
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(\[.*\])$/.exec(rest);
        assert.ok(cmd, `HEALTHCHECK should use the exec form (CMD [...]): ${rest}`);
        stage.healthcheck = JSON.parse(cmd[1]) as string[];
        break;
      }
      case 'CMD':
        assert.ok(rest.startsWith('['), `CMD should use the exec form, so that tracebox gets SIGTERM itself: ${rest}`);
        stage.cmd = JSON.parse(rest) as string[];
        break;
    }
  }
  return stage;
}

/** What `npm prune --omit=dev` keeps: the production dependency tree's folders, relative to the repository. */
function productionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((p) => p.startsWith(path.join(REPO, 'node_modules') + path.sep))
    .map((p) => path.relative(REPO, p));
}

const stage = finalStage(fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'));
assert.ok(stage.cmd, 'the final stage has no CMD');
assert.ok(stage.healthcheck, 'the final stage has no HEALTHCHECK');
assert.ok(stage.user !== undefined && !/^(root|0)(:|$)/.test(stage.user), `the final stage should run as a non-root USER, not ${stage.user ?? 'root'}`);
assert.equal(stage.env.TRACEBOX_HOST, '0.0.0.0', 'TRACEBOX_HOST=0.0.0.0, or nothing outside the container can reach it');
assert.ok(stage.env.TRACEBOX_DATA && stage.volumes.includes(stage.env.TRACEBOX_DATA), 'TRACEBOX_DATA should be a VOLUME');
for (const port of ['3200', '4317', '4318']) assert.ok(stage.expose.includes(port), `EXPOSE ${port}`);
console.log(`check-docker: final stage: USER ${stage.user}, WORKDIR ${stage.workdir}, CMD ${JSON.stringify(stage.cmd)}`);

// The image's /app: package.json, dist/ and the production dependencies, nothing else.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-check-docker-'));
try {
  const app = path.join(work, 'app');
  const data = path.join(work, 'data');
  fs.mkdirSync(app);
  fs.mkdirSync(data);
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
  fs.cpSync(path.join(REPO, 'dist'), path.join(app, 'dist'), { recursive: true, filter: (src) => src !== path.join(REPO, 'dist/sea') });
  const packages = productionPackages();
  for (const rel of packages) fs.cpSync(path.join(REPO, rel), path.join(app, rel), { recursive: true });
  console.log(`check-docker: staged /app: package.json, dist/, ${packages.length} production packages (better-sqlite3 and its own)`);

  // Non-root, as USER says: nobody, when this runs as root and setpriv is at hand.
  let argv = stage.cmd;
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv')) {
    fs.chmodSync(work, 0o755);
    fs.chownSync(data, NOBODY, NOBODY);
    argv = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv];
    console.log('check-docker: running the CMD as user nobody');
  }
  const env = { ...stage.env, TRACEBOX_DATA: data, TRACEBOX_PORT: '0', TRACEBOX_OTLP_HTTP_PORT: '0', TRACEBOX_OTLP_GRPC_PORT: '0' };
  await smoke({
    argv,
    cwd: app,
    env,
    during: async (tb) => {
      const port = new URL(tb.apiUrl).port;
      const [command, ...args] = stage.healthcheck!;
      await promisify(execFile)(command, args, { cwd: app, env: { ...process.env, ...stage.env, TRACEBOX_PORT: port }, timeout: 10_000 });
      console.log(`check-docker: HEALTHCHECK command exited 0`);
      // Only loopback is contacted here; TRACEBOX_HOST=0.0.0.0 (checked above) is what
      // makes it reachable from outside a container.
    },
  });
  assert.ok(fs.statSync(path.join(data, 'tracebox.db')).size > 0, 'no database in the data volume');
  console.log('check-docker: the database was written to the data volume');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
