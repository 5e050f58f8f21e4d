/** Processes the benchmarks measure: started with a JSON banner naming their URL on stdout, stopped with SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';

export interface Child {
  readonly url: string;
  readonly proc: ChildProcess;
}

/** Runs `node ARGS…` and resolves once its stdout holds the JSON banner with `url`. */
export function spawnJson(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        resolve({ url: (JSON.parse(out) as { url: string }).url, proc });
      } catch {
        // banner incomplete
      }
    });
  });
}

export async function stopChild(c: Child): Promise<void> {
  const exited = new Promise((r) => c.proc.on('exit', r));
  c.proc.kill('SIGTERM');
  await exited;
}

/** Drops a PostgreSQL schema a benchmark created; nothing when the server cannot be reached. */
export async function dropBenchSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect().then(
    async () => {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
    () => undefined,
  );
}
