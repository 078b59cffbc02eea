/**
 * The types this module's GraphQL types map to (codegen's `mappers`, scripts/codegen.mjs): the generated resolver
 * types import this file, so it imports nothing that imports them.
 */
export type { ApiToken as ApiTokenModel } from '@pastoral/db';
