/**
 * README.md's shell commands work as shown: every command of every ```sh block runs,
 * exactly as written, against a tracebox started for it (its address put where the README
 * says 127.0.0.1:3200, a stored trace's and span's ids where it says <trace id> and
 * <span id>), with `tracebox` on the PATH, in a git work tree of a project of its own
 * (with a branch `my-change`, and `npm test` that runs nothing). A block that cannot run in
 * a test says so, and why, in an HTML comment on the line before it:
 * `<!-- not run by the tests: REASON -->`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO } from './helpers/cli.ts';
import { JSON_TYPE, postTraces } from './helpers/http.ts';
import { text } from './helpers/search.ts';
import { randomSpanId, randomTraceId, startTestTracebox, type TestTracebox } from './helpers/tracebox.ts';

interface Block {
  readonly lang: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly body: string[];
  /** Why the block is not run, when it is marked so. */
  readonly skip?: string;
}

const MARKER = /^<!-- not run by the tests: (.*) -->$/;

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    const marker = start > 0 ? MARKER.exec(lines[start - 1]) : null;
    out.push({ lang: open[1], line: start + 1, body, ...(marker === null ? {} : { skip: marker[1] }) });
  }
  return out;
}

/** A command line without its trailing `# comment` (a `#` outside quotes, after a space). */
function splitComment(line: string): { command: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return { command: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { command: line.trimEnd(), comment: '' };
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

test('every code block names its language, and every block left unrun says why', () => {
  for (const b of blocks(README)) {
    assert.notEqual(b.lang, '', `README.md:${b.line}: a code block without a language (\`\`\`sh, \`\`\`text, …)`);
    if (b.skip !== undefined) {
      assert.equal(b.lang, 'sh', `README.md:${b.line}: only shell blocks are run, so only they are marked`);
      assert.ok(b.skip.trim().length > 10, `README.md:${b.line}: the marker must give the reason`);
    }
  }
});

describe('the README\'s shell commands', () => {
  let tb: TestTracebox;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const traceId = randomTraceId();
  const rootSpanId = randomSpanId();

  before(async () => {
    tb = await startTestTracebox();
    // What the commands ask about: a slow POST /cart of checkout with three redis calls.
    const now = BigInt(Date.now()) * 1_000_000n;
    const root = rootSpanId;
    const span = (name: string, start: bigint, ms: number, parent?: string, attrs: Record<string, string> = {}) => ({
      traceId,
      spanId: parent === undefined ? root : randomSpanId(),
      ...(parent === undefined ? {} : { parentSpanId: parent }),
      name,
      kind: parent === undefined ? 2 : 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(ms) * 1_000_000n),
      attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
    });
    const spans = [span('POST /cart', now, 2000), ...[0, 1, 2].map((i) => span('GET', now + BigInt(i) * 100_000_000n, 5, root, { 'db.system': 'redis' }))];
    const body = JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ scope: { name: 'shop' }, spans }] }],
    });
    const a = await postTraces(tb.otlpHttpUrl, body, { contentType: JSON_TYPE });
    assert.equal(a.status, 200, text(a));

    // `tracebox` on the PATH, as `npm link` puts it; a project of its own for `npm test`.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracebox-readme-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const cli = path.join(bin, 'tracebox');
    fs.writeFileSync(cli, `#!/bin/sh\nexec "${process.execPath}" --import "${import.meta.resolve('tsx')}" "${path.join(REPO, 'src/cli.ts')}" "$@"\n`);
    fs.chmodSync(cli, 0o755);
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'readme-project', private: true, scripts: { test: 'node -e ""' } }));
    env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRACEBOX_') && !k.startsWith('NODE_TEST') && !k.startsWith('OTEL_')) env[k] = v;
    env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
    env.TRACEBOX_URL = tb.apiUrl;
    const git = `git -c user.name=readme -c user.email=readme@localhost`;
    const setup = await sh(`${git} init -q -b main && ${git} commit -q --allow-empty -m start && ${git} branch my-change`, project, env);
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(async () => {
    await tb?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const b of blocks(README)) {
    if (b.lang !== 'sh' || b.skip !== undefined) continue;
    b.body.forEach((raw, i) => {
      const { command, comment } = splitComment(raw);
      if (command === '') return;
      test(`README.md:${b.line + 1 + i}: ${command}`, async () => {
        const line = command.replaceAll('http://127.0.0.1:3200', tb.apiUrl).replaceAll('<trace id>', traceId).replaceAll('<span id>', rootSpanId);
        const out = await sh(line, path.join(dir, 'project'), env);
        assert.equal(out.code, 0, `${line}\n${out.stdout}\n${out.stderr}`);
        // A comment that shows the answer's JSON shape names its first key.
        const key = /^\{"(\w+)"/.exec(comment)?.[1];
        if (key !== undefined) assert.ok(key in (JSON.parse(out.stdout) as object), `${line}: no "${key}" in ${out.stdout.slice(0, 200)}`);
      });
    });
  }
});
