/**
 * `pnpm bench:ratelimit`: what the rate limit (src/server/rate-limit.ts) costs a request. A cheap query, `{ viewer {
 * role } }` (the session is in the process's cache, so it sends no SQL), one request at a time over HTTP, as a
 * signed-in member of staff and anonymously, against four API processes: without the limit and with it counting in the
 * process, and the same two with REDIS_URL set, so that between each pair only the limit differs. The four are asked in
 * turn, in rounds, so that the machine's drift falls on all of them alike. Beside them, the ceiling of a shared
 * counter: one INCR round trip to the same Redis from this process, the least any count shared between hosts can cost,
 * and the limiter's own script sent from here.
 *
 * Also the API's CPU per request, from /proc. On a demo-seeded SQLite file of its own; Redis at BENCH_REDIS_URL
 * (default redis://127.0.0.1:6379). Results go to bench/rate-limit.md and bench/rate-limit.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@pastoral/db';
import { Redis } from 'ioredis';
import { Agent } from 'undici';
import { migrationsFolder } from '../src/database.ts';
import { memoryCounters, redisCounters } from '../src/server/rate-limit.store.ts';
import { SEED_PROFILES } from '../src/seed/profiles.ts';
import { seedDatabase } from '../src/seed/seed.ts';
import {
  type Child,
  cpuSecondsOf,
  type LatencySummary,
  SEED_PASSWORD,
  signIn,
  startChild,
  stopChild,
  summarize,
  timeEach,
} from './measure.ts';

const ROUNDS = 5;
const PER_ROUND = 1_000;
const WARM_UP = 300;
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const resultsDir = new URL('../../../bench/', import.meta.url);
const QUERY = JSON.stringify({ query: '{ viewer { role } }' });

interface Variant {
  name: string;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'no limit', env: { BENCH_RATE_LIMIT: 'off' } },
  { name: 'limit, in process', env: {} },
  { name: 'Redis set, no limit', env: { REDIS_URL: redisUrl, BENCH_RATE_LIMIT: 'off' } },
  { name: 'limit, in Redis', env: { REDIS_URL: redisUrl } },
];
const KINDS = ['staff session', 'anonymous'] as const;

interface Row {
  variant: string;
  kind: (typeof KINDS)[number];
  latency: LatencySummary;
  cpuMsPerRequest: number;
}

async function main() {
  const directory = mkdtempSync(join(tmpdir(), 'pastoral-ratelimit-bench-'));
  const databaseUrl = `file:${join(directory, 'pastoral.sqlite')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const servers: { variant: Variant; child: Child; cookie: string }[] = [];
  try {
    process.stderr.write('rate-limit bench: seeding the demo profile into a SQLite file…\n');
    const database = createDb(databaseUrl);
    await migrateToLatest(database.db, migrationsFolder());
    await seedDatabase(database, { profile: SEED_PROFILES.demo, seed: 1, asOf: new Date(), password: SEED_PASSWORD });
    await database.destroy();

    for (const variant of VARIANTS) {
      const child = await startChild('servers/api.ts', [], {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        ...variant.env,
      });
      servers.push({
        variant,
        child,
        cookie: await signIn(`${child.url}/graphql`, 'form.master@s01.pastoral.example'),
      });
    }

    const ask = async (url: string, cookie: string | null) => {
      const response = await dispatcher.request({
        origin: url,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: QUERY,
      });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
    };

    const latencies = new Map<string, number[]>();
    const cpuSeconds = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`rate-limit bench: round ${round + 1} of ${ROUNDS}…\n`);
      for (const { variant, child, cookie } of servers) {
        for (const kind of KINDS) {
          const key = `${variant.name}|${kind}`;
          const send = () => ask(child.url, kind === 'anonymous' ? null : cookie);
          if (round === 0) for (let i = 0; i < WARM_UP; i++) await send();
          const cpuBefore = cpuSecondsOf([child.process.pid!]);
          const samples = latencies.get(key) ?? [];
          for (let i = 0; i < PER_ROUND; i++) {
            const started = performance.now();
            await send();
            samples.push(performance.now() - started);
          }
          latencies.set(key, samples);
          cpuSeconds.set(key, (cpuSeconds.get(key) ?? 0) + cpuSecondsOf([child.process.pid!]) - cpuBefore);
        }
      }
    }
    const rows: Row[] = servers.flatMap(({ variant }) =>
      KINDS.map((kind) => {
        const key = `${variant.name}|${kind}`;
        const samples = latencies.get(key)!;
        return {
          variant: variant.name,
          kind,
          latency: summarize(samples),
          cpuMsPerRequest: (cpuSeconds.get(key)! * 1000) / samples.length,
        };
      }),
    );

    process.stderr.write('rate-limit bench: the ceiling, from this process…\n');
    const prefix = `pastoral:ratelimit-bench:${process.pid}:`;
    const settings = { windowMs: 60_000, provedMs: 60_000 };
    const counters = redisCounters(redis, prefix, settings, memoryCounters(settings), (error) => {
      throw error;
    });
    await counters.prove('session:bench', null);
    const ceiling = {
      incr: await timeEach(() => redis.incr(`${prefix}incr`), { warmUp: WARM_UP, runs: ROUNDS * PER_ROUND }),
      script: await timeEach(() => counters.hitCredential('session:bench', 'address:bench'), {
        warmUp: WARM_UP,
        runs: ROUNDS * PER_ROUND,
      }),
    };
    counters.close();
    await redis.del(...(await redis.keys(`${prefix}*`)));
    report(rows, ceiling);
  } finally {
    for (const { child } of servers) await stopChild(child);
    await dispatcher.close();
    redis.disconnect();
    rmSync(directory, { recursive: true, force: true });
  }
}

function report(rows: Row[], ceiling: { incr: LatencySummary; script: LatencySummary }) {
  const fmt = (ms: number) => ms.toFixed(3);
  const row = (variant: string, kind: string) =>
    rows.find((entry) => entry.variant === variant && entry.kind === kind)!;
  const added = (variant: string, baseline: string, kind: string) => {
    const [measured, base] = [row(variant, kind), row(baseline, kind)];
    return `${fmt(measured.latency.p50 - base.latency.p50)} ms at p50, ${fmt(measured.cpuMsPerRequest - base.cpuMsPerRequest)} ms of the API's CPU`;
  };
  const markdown = [
    '# The rate limit: its cost per request',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, with \`pnpm bench:ratelimit\`.`,
    `\`{ viewer { role } }\` one request at a time over HTTP keep-alive (no SQL: the session is in the process's cache), ${(ROUNDS * PER_ROUND).toLocaleString('en-GB')} per row in ${ROUNDS} interleaved rounds after ${WARM_UP} to warm up; each API in a process of its own (NODE_ENV=production), on a demo-seeded SQLite file, Redis at ${redisUrl.replace(/\/\/.*@/, '//')}.`,
    '',
    '| API | principal | p50 (ms) | p95 | p99 | API CPU per request (ms) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (entry) =>
        `| ${entry.variant} | ${entry.kind} | ${fmt(entry.latency.p50)} | ${fmt(entry.latency.p95)} | ${fmt(entry.latency.p99)} | ${fmt(entry.cpuMsPerRequest)} |`,
    ),
    '',
    'What the limit adds (against the same API without it):',
    '',
    ...KINDS.flatMap((kind) => [
      `- ${kind}, counting in the process: ${added('limit, in process', 'no limit', kind)}`,
      `- ${kind}, counting in Redis: ${added('limit, in Redis', 'Redis set, no limit', kind)}`,
    ]),
    '',
    'The ceiling of a count shared through Redis, from this process (no HTTP): one `INCR` round trip',
    `p50 ${fmt(ceiling.incr.p50)} ms (p95 ${fmt(ceiling.incr.p95)}); the limiter's own script for a proved session (EVALSHA: its counter and its proof)`,
    `p50 ${fmt(ceiling.script.p50)} ms (p95 ${fmt(ceiling.script.p95)}).`,
  ];
  writeFileSync(new URL('rate-limit.md', resultsDir), `${markdown.join('\n')}\n`);
  writeFileSync(new URL('rate-limit.json', resultsDir), `${JSON.stringify({ rows, ceiling }, null, 2)}\n`);
  process.stdout.write(`${markdown.join('\n')}\n`);
}

await main();
