/**
 * A CPU profile's time by the parts of a GraphQL request that issue 21 names. Each sample counts:
 * - as "self" time of one part: the innermost frame that belongs to a part (a built-in such as JSON.stringify or a
 *   Node internal without a part of its own counts for its caller's part);
 * - as "total" time of every part with a frame anywhere on its stack (so totals overlap: execution includes the
 *   resolvers, which include Kysely).
 */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  functionName: string;
  url: string;
}

/** The parts, most specific first: a frame belongs to the first whose test it passes. */
const PARTS: { name: string; test: (frame: Frame) => boolean }[] = [
  { name: 'garbage collection', test: (f) => f.functionName === '(garbage collector)' },
  { name: 'session and viewer read', test: (f) => /modules\/auth\/session/.test(f.url) },
  { name: 'rate limit', test: (f) => /server\/rate-limit/.test(f.url) },
  { name: 'metrics', test: (f) => /server\/(metrics|prometheus)|prom-client/.test(f.url) },
  {
    name: 'persisted queries and document hashing',
    test: (f) => /persisted-queries|utils\.createhash|utils\.keyvaluecache/.test(f.url),
  },
  {
    name: 'our Apollo plugins',
    test: (f) =>
      /server\/apollo-plugins|graphql\/(type-access|limits)|audit-log\/(request-reads|access-refusals)/.test(f.url),
  },
  { name: 'logging', test: (f) => /pino|src\/logger/.test(f.url) },
  {
    name: 'AsyncLocalStorage and async hooks',
    test: (f) => /async_hooks|async_local_storage|async_context_frame/.test(f.url),
  },
  { name: 'request deadline and statement budget', test: (f) => /server\/request-deadline/.test(f.url) },
  { name: 'context and loaders', test: (f) => /src\/(context|loaders|keyed-loaders)\.ts|dataloader/.test(f.url) },
  { name: 'GraphQL parse', test: (f) => /graphql\/language\//.test(f.url) },
  { name: 'GraphQL validate', test: (f) => /graphql\/validation\//.test(f.url) },
  { name: 'GraphQL execute', test: (f) => /graphql\/(execution|jsutils|type)\/|graphql-jit/.test(f.url) },
  {
    name: 'Kysely build and compile',
    test: (f) => /node_modules\/kysely\//.test(f.url) && !/driver|dialect/.test(f.url),
  },
  {
    name: 'Kysely driver and mysql2',
    test: (f) => /node_modules\/(kysely\/.*(driver|dialect)|mysql2|sqlstring|lru)/.test(f.url),
  },
  { name: 'our database plumbing', test: (f) => /packages\/db\//.test(f.url) },
  {
    name: 'JSON serialise',
    test: (f) => /stringify/i.test(f.functionName) || /fast-json-stringify/.test(f.url),
  },
  { name: 'JSON parse', test: (f) => (f.functionName === 'parse' && f.url === '') || /secure-json-parse/.test(f.url) },
  { name: 'compression', test: (f) => /@fastify\/compress|node:zlib/.test(f.url) },
  { name: 'Apollo server', test: (f) => /@apollo\/server|@as-integrations/.test(f.url) },
  { name: 'Fastify', test: (f) => /fastify|find-my-way|avvio|light-my-request|@fastify/.test(f.url) },
  { name: 'resolvers and repositories', test: (f) => /apps\/api\/src\/(modules|graphql|paging)/.test(f.url) },
  { name: 'Node HTTP and network', test: (f) => /node:(_http|http|net|internal\/(http|stream|net))/.test(f.url) },
];
const IDLE = new Set(['(idle)', '(program)']);

export interface Share {
  part: string;
  selfUs: number;
  totalUs: number;
}

export interface Shares {
  busyUs: number;
  parts: Share[];
}

export function categoryShares(profile: CpuProfile): Shares {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const partOf = new Map<number, string | null>();
  const framePart = (id: number) => {
    let part = partOf.get(id);
    if (part === undefined) {
      const { callFrame } = byId.get(id)!;
      part = PARTS.find(({ test }) => test(callFrame))?.name ?? null;
      partOf.set(id, part);
    }
    return part;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((leaf, index) => {
    // A sample's time is the delta to the next sample.
    const us = profile.timeDeltas[index + 1] ?? 0;
    if (IDLE.has(byId.get(leaf)!.callFrame.functionName)) return;
    busyUs += us;
    let selfPart: string | null = null;
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const part = framePart(id);
      if (!part) continue;
      selfPart ??= part;
      seen.add(part);
    }
    const selfName = selfPart ?? 'other';
    self.set(selfName, (self.get(selfName) ?? 0) + us);
    for (const part of seen) total.set(part, (total.get(part) ?? 0) + us);
  });
  const names = [...PARTS.map(({ name }) => name), 'other'];
  return {
    busyUs,
    parts: names
      .map((part) => ({ part, selfUs: self.get(part) ?? 0, totalUs: total.get(part) ?? 0 }))
      .filter(({ selfUs, totalUs }) => selfUs > 0 || totalUs > 0),
  };
}

/** The shares as a Markdown table, with each part's CPU per request from the measured total. */
export function profileMarkdown({ busyUs, parts }: Shares, cpuMsPerRequest: number): string[] {
  const percent = (us: number) => `${((100 * us) / Math.max(1, busyUs)).toFixed(1)} %`;
  const ms = (us: number) => ((cpuMsPerRequest * us) / Math.max(1, busyUs)).toFixed(3);
  return [
    '| part | self | self ms/request | total | total ms/request |',
    '| --- | --- | --- | --- | --- |',
    ...[...parts]
      .sort((a, b) => b.selfUs - a.selfUs)
      .map(
        ({ part, selfUs, totalUs }) =>
          `| ${part} | ${percent(selfUs)} | ${ms(selfUs)} | ${percent(totalUs)} | ${ms(totalUs)} |`,
      ),
    '',
    "Shares are of the profile's busy samples (not idle); ms/request spreads the measured CPU per request by them.",
  ];
}
