// The BullMQ side of bench/redis_bench.cc, which starts the Redis server, runs this script once
// per measurement and parses the one JSON line it prints on stdout (everything else goes to
// stderr). BullMQ is installed from bench/bullmq/package.json into bench/.peers/bullmq (ignored
// by git) with the machine's npm when it is missing.
//
//   node bullmq_bench.mjs install
//       Installs BullMQ if missing. Exit 0 and {"version": "..."} when it can be loaded; exit 3
//       and a message on stderr when node's npm or the install is unavailable.
//   node bullmq_bench.mjs throughput PORT REDIS_PID CLK_TCK N CONCURRENCY
//       Adds N jobs (~100-byte data) with Queue.addBulk in chunks of 1,000, then starts a Worker
//       with `concurrency` and a no-op processor, and times from the Worker's creation until N
//       'completed' events. Prints enqueue and processing seconds, and the CPU seconds of this
//       process (process.cpuUsage) and of redis-server (/proc/PID/stat utime + stime) over the
//       processing phase.
//   node bullmq_bench.mjs latency PORT N CONCURRENCY
//       Starts an idle Worker, then adds N jobs one at a time, paced at 1,000 per second; each
//       job carries the time of its add() call (process.hrtime, in this process), and the
//       processor records start minus that time. Prints p50 and p99 in microseconds.
//
// Both modes use BullMQ's defaults otherwise (completed jobs are kept, at-least-once delivery
// under the worker's lock).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const peers = join(here, '..', '.peers', 'bullmq');
const QUEUE = 'bench';
const CHUNK = 1000;
const PAD = 'x'.repeat(80);

function fail(message, code = 1) {
  process.stderr.write(`bullmq_bench: ${message}\n`);
  process.exit(code);
}

function install() {
  if (existsSync(join(peers, 'node_modules', 'bullmq', 'package.json'))) return;
  mkdirSync(peers, { recursive: true });
  copyFileSync(join(here, 'package.json'), join(peers, 'package.json'));
  process.stderr.write(`bullmq_bench: installing BullMQ into ${peers}\n`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev',
                              '--no-package-lock', '--loglevel=error'],
                      { cwd: peers, stdio: ['ignore', 2, 2] });
  if (r.error || r.status !== 0) {
    fail(`npm install failed (${r.error ? r.error.message : `exit ${r.status}`})`, 3);
  }
}

function load() {
  const require = createRequire(join(peers, 'package.json'));
  try {
    return { bullmq: require('bullmq'), version: require('bullmq/package.json').version };
  } catch (e) {
    fail(`cannot load BullMQ from ${peers}: ${e.message}`, 3);
  }
}

// utime + stime of a process, in seconds.
function processCpu(pid, clkTck) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}

function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

async function throughput({ Queue, Worker }, port, redisPid, clkTck, n, concurrency) {
  const connection = { host: '127.0.0.1', port };
  const queue = new Queue(QUEUE, { connection });
  await queue.waitUntilReady();
  const data = { pad: PAD };
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < n; done += CHUNK) {
    const size = Math.min(CHUNK, n - done);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data })));
  }
  const enqueueS = Number(process.hrtime.bigint() - t0) / 1e9;

  let completed = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const cpu0 = process.cpuUsage();
  const redis0 = processCpu(redisPid, clkTck);
  const t1 = process.hrtime.bigint();
  const worker = new Worker(QUEUE, async () => {}, { connection, concurrency });
  worker.on('completed', () => {
    if (++completed === n) finish();
  });
  worker.on('error', (e) => fail(`worker error: ${e.message}`));
  await finished;
  const processS = Number(process.hrtime.bigint() - t1) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const redisCpuS = processCpu(redisPid, clkTck) - redis0;
  await worker.close();
  await queue.close();
  return { enqueue_s: enqueueS, process_s: processS, client_cpu_s: (cpu.user + cpu.system) / 1e6,
           redis_cpu_s: redisCpuS };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function latency({ Queue, Worker }, port, n, concurrency) {
  const connection = { host: '127.0.0.1', port };
  const queue = new Queue(QUEUE, { connection });
  const samples = [];
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const worker = new Worker(QUEUE, async (job) => {
    samples.push(nowUs() - job.data.t);
    if (samples.length === n) finish();
  }, { connection, concurrency });
  worker.on('error', (e) => fail(`worker error: ${e.message}`));
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  // Let the worker settle into its blocking wait: the workers are idle when the jobs come.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const start = performance.now();
  for (let k = 0; k < n; ++k) {
    const wait = start + k - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await queue.add('noop', { t: nowUs(), pad: PAD });
  }
  await finished;
  await worker.close();
  await queue.close();
  samples.sort((a, b) => a - b);
  return { p50_us: quantile(samples, 0.5), p99_us: quantile(samples, 0.99) };
}

const [mode, ...args] = process.argv.slice(2);
const num = (i) => {
  const v = Number(args[i]);
  if (!Number.isFinite(v) || v <= 0) fail(`bad argument ${i + 1} for ${mode}: ${args[i]}`, 2);
  return v;
};
install();
const { bullmq, version } = load();
let out;
if (mode === 'install') {
  out = { version };
} else if (mode === 'throughput') {
  out = await throughput(bullmq, num(0), num(1), num(2), num(3), num(4));
} else if (mode === 'latency') {
  out = await latency(bullmq, num(0), num(1), num(2));
} else {
  fail('usage: bullmq_bench.mjs install | throughput PORT REDIS_PID CLK_TCK N CONCURRENCY | '
       + 'latency PORT N CONCURRENCY', 2);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
