/** A real `attestry serve` in a child process (for kill -9 tests): started on a free port, killed with SIGKILL. */
import { spawn } from 'node:child_process';
import { CLI_PATH } from './cli.js';

export interface ServeChild {
  readonly url: string;
  /** SIGKILL, then waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Resolves once the JSON banner names the URL; rejects if the server exits first. */
export function startServeChild(dataDir: string): Promise<ServeChild> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${err}`)));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const info = JSON.parse(out) as { url: string };
        resolve({
          url: info.url,
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      } catch {
        // the JSON banner has not fully arrived yet
      }
    });
  });
}
