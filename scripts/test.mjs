// `npm test`: lint (ESLint + Prettier) runs beside the test suite instead of before it: on
// 2 cores the suite waits on servers, databases and child processes much of the time, and
// lint alone took 97 s of the 10 minutes. The suite's output streams as it runs; lint's is
// printed at the end. Either failing fails the run. Two test files at a time: three took longer
// here (832 s against 666 s), the files start servers and child processes of their own.
//
// Only `*.test.js` files are run: given a directory, node --test also runs every other .js
// file under a folder named `test` (43 helpers here, 20 s of processes that test nothing).
// The longest files start first, so the run does not end on one of them alone.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

// Longest first (seconds each took in a full run on 2 cores); the rest follow in path order.
const LONGEST = [
  'ai/review', // 41
  'cli/exit-codes', // 35
  'models/huge-manifest', // 30
  'e2e/signals-stream-rss', // 27
  'crash/signals-kill9', // 22
  'ai/ai', // 20
  'cli/review-cli', // 20
  'cli/model', // 16
  'evidence/writer-thread-sqlite', // 15
  'server/service', // 14
  'store/index-postgres', // 14
  'cli/log-key', // 13
  'server/tlog-http', // 13
  'e2e/signals-bombs', // 13
  'models/big-file', // 12
];

function testFiles(dir) {
  const all = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => f.split('\\').join('/'))
    .sort();
  const rank = (f) => {
    const i = LONGEST.indexOf(f.replace(/\.test\.js$/, ''));
    return i === -1 ? LONGEST.length : i;
  };
  return all.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)).map((f) => join(dir, f));
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const concurrency = process.env.ATTESTRY_TEST_CONCURRENCY ?? '2';

const lintOutput = [];
const lint = spawn(npm, ['run', '--silent', 'lint'], { stdio: ['ignore', 'pipe', 'pipe'] });
lint.stdout.on('data', (c) => lintOutput.push(c));
lint.stderr.on('data', (c) => lintOutput.push(c));
const lintDone = new Promise((resolve) => lint.on('close', (code) => resolve(code ?? 1)));

const files = testFiles('dist/test');
const tests = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
const testsCode = await new Promise((resolve) => tests.on('close', (code) => resolve(code ?? 1)));

const lintCode = await lintDone;
process.stdout.write(Buffer.concat(lintOutput));
process.stdout.write(lintCode === 0 ? 'lint: clean (eslint, prettier)\n' : `lint: FAILED (exit ${lintCode}); run npm run lint\n`);
process.exit(testsCode !== 0 ? testsCode : lintCode);
