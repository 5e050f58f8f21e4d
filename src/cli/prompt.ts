/**
 * Reads a secret from the terminal without echoing it. readline runs the TTY
 * in raw mode (so the terminal driver does not echo either) and writes its
 * own echo to an output stream that is muted for the answer. The prompt goes
 * to stderr, so stdout stays clean for --json and pipes.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AttestryError } from '../core/errors.js';

/** True when a person can be asked: stdin is a terminal to read from and stderr one to ask on. */
export function canPrompt(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- isTTY is undefined, not false, off a terminal
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export function readHidden(question: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true, historySize: 0 });
    let answered = false;
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      process.stderr.write('\n');
      if (!answered) reject(new AttestryError('E_PASSPHRASE_REQUIRED', 'passphrase prompt cancelled'));
    });
    process.stderr.write(question);
    muted = true;
    rl.question('', (answer) => {
      answered = true;
      rl.close();
      resolvePromise(answer);
    });
  });
}
