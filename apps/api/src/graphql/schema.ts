/** The executable schema: every module's SDL, with its resolvers. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type GraphQLSchema, Kind, parse } from 'graphql';
import { alertResolvers } from '../modules/alerts/resolvers.ts';
import { apiTokenResolvers } from '../modules/api-tokens/resolvers.ts';
import { auditLogResolvers } from '../modules/audit-log/resolvers.ts';
import { authResolvers } from '../modules/auth/resolvers.ts';
import { ingestResolvers } from '../modules/ingest/resolvers.ts';
import { caseResolvers } from '../modules/cases/resolvers.ts';
import { classroomResolvers } from '../modules/classrooms/resolvers.ts';
import { dashboardResolvers } from '../modules/dashboard/dashboard.resolvers.ts';
import { schoolResolvers } from '../modules/schools/resolvers.ts';
import { studentResolvers } from '../modules/students/resolvers.ts';
import { userResolvers } from '../modules/users/resolvers.ts';
import { noteStudentReads } from '../modules/audit-log/request-reads.ts';
import { nodeResolvers } from './node.resolvers.ts';
import type { Resolvers } from './resolvers-types.generated.ts';
import { DateScalar, DateTimeScalar } from './scalars.ts';
// The bundle inlines the SDL (see build.mjs); from source it is read from the module folders.
import { bundledTypeDefs } from './type-defs.ts';

const resolvers: Resolvers[] = [
  { DateTime: DateTimeScalar, Date: DateScalar },
  nodeResolvers,
  authResolvers,
  userResolvers,
  schoolResolvers,
  classroomResolvers,
  studentResolvers,
  caseResolvers,
  alertResolvers,
  auditLogResolvers,
  dashboardResolvers,
  apiTokenResolvers,
  ingestResolvers,
];

/** Every .graphql file under the API's source folder, in a stable order. */
export function readTypeDefs(): string[] {
  if (bundledTypeDefs.length > 0) return bundledTypeDefs;
  const source = fileURLToPath(new URL('../', import.meta.url));
  return readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((file) => readFileSync(file, 'utf8'));
}

export function buildSchema(): GraphQLSchema {
  const typeDefs = readTypeDefs();
  const schema = makeExecutableSchema({
    typeDefs,
    resolvers: [...resolvers, lazyCountResolvers(typeDefs)] as never,
  });
  // Every read of a student's data is noted, through whichever field it is reached.
  noteStudentReads(schema);
  return schema;
}

/** The count fields a connection's model computes only when asked (ConnectionModel.totalCount is a function). */
const LAZY_COUNT_FIELDS = ['totalCount', 'totalCountIsCapped'];

/**
 * graphql-js's default resolver calls a function-valued property; graphql-jit's reads it as it is. So every
 * connection's count fields get a resolver of their own, which both executors call. Found in the SDL rather
 * than the built schema: type checks on the built schema fail when the test runner loads two copies of graphql.
 */
function lazyCountResolvers(typeDefs: string[]): Record<string, Record<string, (model: object) => unknown>> {
  const callIfLazy = (field: string) => (model: object) => {
    const value = (model as Record<string, unknown>)[field];
    return typeof value === 'function' ? (value as () => unknown).call(model) : value;
  };
  const resolved: Record<string, Record<string, (model: object) => unknown>> = {};
  for (const definition of typeDefs.flatMap((source) => parse(source).definitions)) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || !definition.name.value.endsWith('Connection')) continue;
    for (const field of definition.fields ?? []) {
      if (!LAZY_COUNT_FIELDS.includes(field.name.value)) continue;
      (resolved[definition.name.value] ??= {})[field.name.value] = callIfLazy(field.name.value);
    }
  }
  return resolved;
}
