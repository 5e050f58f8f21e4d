// `npm test`: lint (ESLint + Prettier) runs beside the test suite instead of before it: on
// 2 cores the suite waits on servers, databases and child processes much of the time, and
// lint alone took 97 s of the 10 minutes. The suite's output streams as it runs; lint's is
// printed at the end. Either failing fails the run. Two test files at a time: three took longer
// here (832 s against 666 s), the files start servers and child processes of their own.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import process from 'node:process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const concurrency = process.env.ATTESTRY_TEST_CONCURRENCY ?? '2';

const lintOutput = [];
const lint = spawn(npm, ['run', '--silent', 'lint'], { stdio: ['ignore', 'pipe', 'pipe'] });
lint.stdout.on('data', (c) => lintOutput.push(c));
lint.stderr.on('data', (c) => lintOutput.push(c));
const lintDone = new Promise((resolve) => lint.on('close', (code) => resolve(code ?? 1)));

const tests = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, 'dist/test/'], { stdio: 'inherit' });
const testsCode = await new Promise((resolve) => tests.on('close', (code) => resolve(code ?? 1)));

const lintCode = await lintDone;
process.stdout.write(Buffer.concat(lintOutput));
process.stdout.write(lintCode === 0 ? 'lint: clean (eslint, prettier)\n' : `lint: FAILED (exit ${lintCode}); run npm run lint\n`);
process.exit(testsCode !== 0 ? testsCode : lintCode);
