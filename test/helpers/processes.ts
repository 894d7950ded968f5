import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Parsed JSON log lines seen on stdout so far. */
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs one of the project's TypeScript entry points (server.ts, cli.ts) through tsx. */
export function runEntry(entry: string, args: string[], env: Record<string, string | undefined>): Spawned {
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
  // The test decides which store a child uses: never inherit CI's MONGODB_URI by accident.
  delete cleanEnv['MONGODB_URI'];
  // Likewise CI's REDIS_URL: servers of unrelated tests must not share one event channel.
  delete cleanEnv['REDIS_URL'];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete cleanEnv[k];
    else cleanEnv[k] = v;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env: cleanEnv });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, stdout: () => out, stderr: () => err, logs, exited };
}

/** Waits for a JSON log line with this `msg`; fails with the process output if it exits first. */
export async function waitForLog(p: Spawned, msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    const line = p.logs().find((l) => l['msg'] === msg);
    if (line) return line;
    if (exited) throw new Error(`process exited before logging "${msg}"\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for "${msg}"\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
}

/** Runs a CLI command to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined>) {
  const p = runEntry('cli.ts', args, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** A database URI for MongoDB-backed tests: the base URI with a unique database name. */
export function mongoUriWithDb(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}
