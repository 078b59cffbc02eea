/**
 * DateTime and Date: stored as UTC text (`2026-11-30 09:15:00.000`, `2026-11-30`), served as ISO-8601. A value
 * refused is described by its format, never quoted: it may be anyone's birth date.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_FORMAT = 'DateTime must be a string in ISO-8601 with a zone: YYYY-MM-DDThh:mm:ssZ, or an offset for Z.';
const DATE_FORMAT = 'Date must be a string holding a calendar date as YYYY-MM-DD.';

function parseDateTime(value: unknown): string {
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(DATE_TIME_FORMAT);
  }
  return date.toISOString().replace('T', ' ').slice(0, 23);
}

function parseDate(value: unknown): string {
  // Month 00 or 13 makes an invalid Date, whose toISOString throws: checked before it is called.
  const date = typeof value === 'string' && ISO_DATE.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  const valid = date !== null && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  if (!valid) throw new GraphQLError(DATE_FORMAT);
  return value;
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in time, as an ISO-8601 string in UTC.',
  serialize: (value) => `${String(value).replace(' ', 'T')}Z`,
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(DATE_TIME_FORMAT);
    return parseDateTime(ast.value);
  },
});

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: (value) => String(value),
  parseValue: parseDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(DATE_FORMAT);
    return parseDate(ast.value);
  },
});
