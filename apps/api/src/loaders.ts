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
import type { LoaderFactories, LoaderOptions } from './keyed-loaders.ts';
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

/**
 * An object whose properties are made on first use and kept: a request uses a few of the two dozen loaders,
 * and making all of them was 4% of the API's CPU profile for a cached dashboard.
 */
function lazily<T extends object>(factories: LoaderFactories<T>): T {
  const made = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(made, key, {
      configurable: true,
      enumerable: true,
      get() {
        const value = factories[key]();
        Object.defineProperty(made, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return made;
}

/**
 * The request's loaders, for `principal`: each kind of record is read through its own scope, by whoever reads
 * that kind (readerOf); a kind nobody in the request may read loads nothing.
 */
export function createLoaders(
  db: Kysely<Database>,
  _dialect: EngineDialect,
  principal: Principal,
  options: LoaderOptions = { batch: true },
) {
  return lazily({
    ...studentLoaders(db, principal, options),
    ...caseLoaders(db, principal, options),
    ...alertLoaders(db, principal, options),
    ...auditLogLoaders(db, principal, options),
    ...classroomLoaders(db, principal, options),
    ...schoolLoaders(db, principal, options),
    ...userLoaders(db, principal, options),
    ...apiTokenLoaders(db, principal, options),
    ...sessionLoaders(db, principal, options),
  });
}

export type Loaders = ReturnType<typeof createLoaders>;
