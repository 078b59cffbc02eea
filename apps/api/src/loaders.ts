/**
 * The per-request DataLoaders, assembled from each module's `*.loaders.ts` (built from keyed-loaders.ts): one
 * SQL statement per batch of keys, values in key order, null for misses. Loaders named `visible…` apply the
 * visibility scope of the kind of record they load, for whoever reads that kind in the request (readerOf: the
 * member of staff, or a token holding the kind's scope); the others load the relations of records the reader
 * can already see and that are visible whenever their parent is (a visible case's student and owner).
 * authorization-paths.test.ts holds every path to the same answer as `node`.
 */
import type { Database, EngineDialect } from '@pastoral/db';
import type { Kysely } from 'kysely';
import type { LoaderOptions } from './keyed-loaders.ts';
import { alertLoaders } from './modules/alerts/alert.loaders.ts';
import { apiTokenLoaders } from './modules/api-tokens/api-token.loaders.ts';
import { auditLogLoaders } from './modules/audit-log/audit-log.loaders.ts';
import { sessionLoaders } from './modules/auth/session.loaders.ts';
import { caseLoaders } from './modules/cases/case.loaders.ts';
import { classroomLoaders } from './modules/classrooms/classroom.loaders.ts';
import { schoolLoaders } from './modules/schools/school.loaders.ts';
import { studentLoaders } from './modules/students/student.loaders.ts';
import { userLoaders } from './modules/users/user.loaders.ts';
import type { Principal } from './principal.ts';

/** Every module's loaders, in the order a name is looked for. */
const MODULES = [
  studentLoaders,
  caseLoaders,
  alertLoaders,
  auditLogLoaders,
  classroomLoaders,
  schoolLoaders,
  userLoaders,
  apiTokenLoaders,
  sessionLoaders,
] as const;

type Factories = ReturnType<typeof studentLoaders> &
  ReturnType<typeof caseLoaders> &
  ReturnType<typeof alertLoaders> &
  ReturnType<typeof auditLogLoaders> &
  ReturnType<typeof classroomLoaders> &
  ReturnType<typeof schoolLoaders> &
  ReturnType<typeof userLoaders> &
  ReturnType<typeof apiTokenLoaders> &
  ReturnType<typeof sessionLoaders>;

export type Loaders = { readonly [Name in keyof Factories]: ReturnType<Factories[Name]> };

/** What a request's loaders are made from, and those made so far. */
interface RequestLoaders {
  db: Kysely<Database>;
  principal: Principal;
  options: LoaderOptions;
  /** Each module's factories, made when the first of its loaders is asked for. */
  factories: (Record<string, () => unknown> | undefined)[];
  made: Map<PropertyKey, unknown>;
}

/** The module that makes each loader, learnt as loaders are first asked for: the same for every request. */
const moduleOfLoader = new Map<PropertyKey, number>();

/**
 * A request's loaders are made on first use and kept: a request uses a few of the two dozen. One handler serves
 * every request, so a request costs one small object; building the object of lazy properties per request (its
 * factories spread and a getter defined per name) was 2 % of the API's CPU on the load test's mix.
 */
const LAZY_LOADERS: ProxyHandler<RequestLoaders> = {
  get(request, name) {
    if (request.made.has(name)) return request.made.get(name);
    const factoriesOf = (index: number) =>
      (request.factories[index] ??= MODULES[index]!(request.db, request.principal, request.options) as Record<
        string,
        () => unknown
      >);
    let index = moduleOfLoader.get(name);
    if (index === undefined) {
      index = MODULES.findIndex((_, candidate) => Object.hasOwn(factoriesOf(candidate), name));
      if (index < 0) return undefined;
      moduleOfLoader.set(name, index);
    }
    const loader = factoriesOf(index)[name as string]!();
    request.made.set(name, loader);
    return loader;
  },
};

/**
 * The request's loaders, for `principal`: each kind of record is read through its own scope, by whoever reads
 * that kind (readerOf); a kind nobody in the request may read loads nothing.
 */
export function createLoaders(
  db: Kysely<Database>,
  _dialect: EngineDialect,
  principal: Principal,
  options: LoaderOptions = { batch: true },
): Loaders {
  const request: RequestLoaders = { db, principal, options, factories: [], made: new Map() };
  return new Proxy(request, LAZY_LOADERS) as unknown as Loaders;
}
