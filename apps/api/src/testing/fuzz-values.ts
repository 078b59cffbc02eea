/**
 * Argument values for the fuzzer (fuzz-operations.ts): realistic ones drawn from the seeded data, and hostile
 * ones (wrong types, out-of-range numbers, long and odd strings, bogus ids, bad enums and dates, null where null
 * is not allowed), each a fast-check arbitrary.
 */
import fc from 'fast-check';
import type {
  GraphQLEnumType,
  GraphQLInputField,
  GraphQLInputObjectType,
  GraphQLNamedType,
  GraphQLType,
} from 'graphql';
import { type InputValue, kindOf } from './fuzz-documents.ts';

export interface SeededValues {
  /** Global ids of seeded rows of every Node type, as the callers see them. */
  globalIds: readonly string[];
  /** Realistic strings for arguments and input fields of these names (email, studentExternalId, term, ...). */
  stringsByName: Readonly<Record<string, readonly string[]>>;
}

// ---- Small arbitraries ---------------------------------------------------------------------------------------

/** `arbitrary` with probability `probability`, null otherwise. */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, probability: number): fc.Arbitrary<T | null> {
  if (probability <= 0) return fc.constant(null);
  if (probability >= 1) return arbitrary;
  const scale = 1000;
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: Math.round((1 - probability) * scale) },
    { arbitrary, weight: Math.round(probability * scale) },
  );
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

export const string = (value: string, block = false): InputValue => ({ kind: 'string', value, block });
export const number = (value: number): InputValue => ({ kind: 'number', value });
const raw = (text: string): InputValue => ({ kind: 'raw', text });
const NULL: InputValue = { kind: 'null' };

/**
 * Strings meant to upset a parser, a database or a template. None contains the SQL words, file paths or stack
 * frames the test looks for in responses, so an error that echoes one back cannot be mistaken for a leak.
 */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD83D',
  "'",
  '"',
  '\\',
  '`',
  "' OR '1'='1",
  '"; DROP TABLE students; --',
  "'); --",
  '%',
  '_',
  '%_%',
  '\\%',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  '\u202Egnp.exe',
  'NaN',
  'null',
  'undefined',
  '-1',
  '0',
  '1e400',
  '9'.repeat(40),
  '💩'.repeat(60),
  'e\u0301',
  'ＡＢＣ',
  'İıßǅ',
  '\r\n\t',
  'a'.repeat(101),
  'a'.repeat(256),
  'a'.repeat(501),
  'a'.repeat(1001),
  'S01',
  'Student:1',
];

/** Long strings: the column sizes and the 1 MiB body limit are the interesting edges. */
const longString = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', "'", ' '), fc.integer({ min: 90, max: 70_000 }))
  .map(([unit, length]) => unit.repeat(length));

/**
 * Whether a document's values keep to their declared types. Well-typed documents pass GraphQL's validation and
 * variable coercion, so their values (hostile ones included: odd strings, bogus ids, out-of-range numbers that are
 * still Ints) reach the resolvers and the database; ill-typed ones test the refusals in front of them.
 */
export type Typing = 'well-typed' | 'ill-typed';

/** fc.oneof over the entries whose weight is above zero: an ill-typed alternative weighs 0 in a well-typed document. */
export function weighted<T>(...entries: { arbitrary: fc.Arbitrary<T>; weight: number }[]): fc.Arbitrary<T> {
  const kept = entries.filter((entry) => entry.weight > 0);
  return kept.length === 1 ? kept[0]!.arbitrary : fc.oneof(...kept);
}

const INT_EDGES = [0, -1, 1, 2 ** 31 - 1, -(2 ** 31)];
const INTS_OUT_OF_RANGE = [2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 + 2];
/** Number literals that are not Ints. Not NaN or Infinity: those are names, which the bad enums cover. */
const ODD_NUMBER_TEXTS = ['1.5', '-0.0', '1e3', '1e400', '-1e400', '1E-400', '12345678901234567890123'];
/** Floats GraphQL accepts, though no score is any of them. */
const FLOAT_EDGES = [0, -0, -1, 100, 100.000001, 1e308, -1e308, 5e-324, 2 ** 53 + 2];

const pad = (value: number, width: number) => String(value).padStart(width, '0');

const validDate = fc
  .tuple(fc.integer({ min: 1990, max: 2030 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
  .map(([year, month, day]) => `${year}-${pad(month, 2)}-${pad(day, 2)}`);

/** Dates the Date scalar accepts that are far from any school day. */
const EDGE_DATES = ['0000-01-01', '0001-01-01', '1000-02-29', '9999-12-31', '2026-11-30', '2100-01-01'];
const BAD_DATES = [
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '2026-11-31',
  '2026-11-30T00:00:00Z',
  '30/11/2026',
  '2026-1-1',
  '',
  '+002026-11-30',
  '２０２６-11-30',
];

const validDateTime = fc
  .tuple(validDate, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.boolean())
  .map(([date, hour, minute, zoned]) => `${date}T${pad(hour, 2)}:${pad(minute, 2)}:00${zoned ? '+02:00' : 'Z'}`);

const EDGE_DATE_TIMES = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '9999-12-31T23:59:59-14:00',
  '2026-11-30T09:15:00.123456789-12:00',
  '1970-01-01T00:00:00+14:00',
];
const BAD_DATE_TIMES = [
  '2026-11-30',
  '2026-11-30T25:00:00Z',
  '2026-11-30T09:15:00',
  '2026-02-30T09:15:00Z',
  '2026-11-30T09:15:00+99:99',
  'now',
  '',
];

/** A value of some other kind than the one asked for. */
export const wrongKindValue: fc.Arbitrary<InputValue> = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map(number),
  fc.constant(raw('1.5')),
  fc.string({ maxLength: 5 }).map((value) => string(value)),
  fc.boolean().map((value): InputValue => ({ kind: 'boolean', value })),
  fc.constantFrom('FOO', 'true', 'null', 'OPEN').map((value): InputValue => ({ kind: 'enum', value })),
  fc.constant<InputValue>({ kind: 'list', items: [number(1), string('a')] }),
  fc.constant<InputValue>({ kind: 'object', fields: [{ name: 'a', value: number(1) }] }),
);

/** Connection cursors: well-formed ones of the wrong shape or values reach the keyset SQL. */
const oddCursorValue: fc.Arbitrary<InputValue> = fc.oneof(
  {
    arbitrary: fc
      .array(
        fc.oneof(
          fc.integer(),
          fc.string({ maxLength: 12 }),
          fc.double(),
          fc.constantFrom('2026-11-30', '2026-11-30 09:15:00.000', 'WATCH', 'Smith', 3, 1),
        ),
        { minLength: 1, maxLength: 5 },
      )
      .map((values) => string(base64url(JSON.stringify(values)))),
    weight: 6,
  },
  {
    arbitrary: fc
      .constantFrom(
        '[1e400, 1]',
        '[-1e400, "x", 1]',
        '["2026-11-30", 1e400]',
        '["2026-11-30 09:15:00.000", 1e400]',
        '[1e400, "Smith", "Ann", 1e400]',
        '[null, 1]',
        '[{}, []]',
        '[true, false]',
        '{"0": 1}',
        '"abc"',
        '[1',
        '[9007199254740993, 9007199254740993]',
        '[-0, -0]',
        `["${'x'.repeat(3000)}", 1]`,
      )
      .map((text) => string(base64url(text))),
    weight: 3,
  },
  { arbitrary: fc.constantFrom('', 'abc', '====', '%%%', 'WzEsMl0', '\u0000').map((text) => string(text)), weight: 1 },
);

/** The weight of an alternative that breaks typing: none in a well-typed document. */
export const illTypedWeight = (typing: Typing) => (weight: number) => (typing === 'ill-typed' ? weight : 0);

/**
 * The arbitrary of a value for a position of a type (an argument or an input field), drawing on the seeded data;
 * an arbitrary for a type at a nesting is made once and shared.
 */
export function inputValueArbitrary(seeded: SeededValues, typing: Typing) {
  const illTyped = illTypedWeight(typing);
  const inputValues = new Map<string, fc.Arbitrary<InputValue>>();
  const genericString: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: fc.string({ maxLength: 20 }), weight: 4 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
    { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 3 },
    { arbitrary: longString, weight: 1 },
  );
  /** A string value, one in ten written as a block string. */
  const stringValue = (arbitrary: fc.Arbitrary<string>): fc.Arbitrary<InputValue> =>
    fc.tuple(arbitrary, fc.nat(9)).map(([value, roll]) => string(value, roll === 0));

  const intValue = weighted(
    { arbitrary: fc.integer({ min: -5, max: 50 }).map(number), weight: 6 },
    { arbitrary: fc.constantFrom(...INT_EDGES).map(number), weight: 2 },
    { arbitrary: fc.constantFrom(...INTS_OUT_OF_RANGE).map(number), weight: illTyped(1) },
    { arbitrary: fc.constantFrom(...ODD_NUMBER_TEXTS).map(raw), weight: illTyped(1) },
  );
  const floatValue = weighted(
    { arbitrary: fc.double({ min: -10, max: 110, noNaN: true }).map(number), weight: 4 },
    { arbitrary: fc.constantFrom(...FLOAT_EDGES).map(number), weight: 2 },
    { arbitrary: fc.constantFrom('1e400', '-1e400').map(raw), weight: illTyped(1) },
  );
  const dateValue = weighted(
    { arbitrary: validDate.map((value) => string(value)), weight: 6 },
    { arbitrary: fc.constantFrom(...EDGE_DATES).map((value) => string(value)), weight: 1 },
    { arbitrary: fc.constantFrom(...BAD_DATES).map((value) => string(value)), weight: illTyped(3) },
  );
  const dateTimeValue = weighted(
    { arbitrary: validDateTime.map((value) => string(value)), weight: 6 },
    { arbitrary: fc.constantFrom(...EDGE_DATE_TIMES).map((value) => string(value)), weight: 1 },
    { arbitrary: fc.constantFrom(...BAD_DATE_TIMES).map((value) => string(value)), weight: illTyped(3) },
  );
  const idValue = weighted(
    { arbitrary: fc.constantFrom(...seeded.globalIds).map((id) => string(id)), weight: 8 },
    {
      // Well-formed ids of rows that do not exist, of types that are not nodes, and of odd numbers.
      arbitrary: fc
        .tuple(
          fc.constantFrom('Student', 'Alert', 'InterventionCase', 'User', 'School', 'ApiToken', 'PageInfo', 'student'),
          // A school's rows carry their school in the id; the district's do not.
          fc.constantFrom('', '1:', '2:', '-:', '0:', '999999:', 'x:'),
          fc.constantFrom('0', '-1', '999999', '9007199254740993', '1e3', '01', '1.5', '', ' 1', '12345678901234567'),
        )
        .map(([type, school, id]) => string(base64url(`${type}:${school}${id}`))),
      weight: 2,
    },
    { arbitrary: genericString.map((value) => string(value)), weight: 1 },
    // GraphQL takes an Int as an ID.
    { arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(number), weight: 1 },
  );

  const pageSize = weighted(
    { arbitrary: fc.integer({ min: 1, max: 5 }).map(number), weight: 20 },
    { arbitrary: fc.constantFrom(0, -1, 100, 101, 2 ** 31 - 1).map(number), weight: 1 },
  );
  const intByName: Record<string, fc.Arbitrary<InputValue>> = {
    first: pageSize,
    last: pageSize,
    tier: fc.integer({ min: 0, max: 4 }).map(number),
    expectedVersion: fc.integer({ min: 0, max: 4 }).map(number),
    yearGroup: fc.integer({ min: 6, max: 14 }).map(number),
    suspensionDays: fc.integer({ min: -1, max: 61 }).map(number),
    entityId: fc.integer({ min: 1, max: 200 }).map(number),
  };

  const stringByName = (name: string): fc.Arbitrary<InputValue> | undefined => {
    if (name === 'after' || name === 'before') {
      const cursors = seeded.stringsByName.cursor ?? [];
      return weighted(
        { arbitrary: fc.constantFrom(...cursors).map((cursor) => string(cursor)), weight: cursors.length > 0 ? 3 : 0 },
        { arbitrary: oddCursorValue, weight: 2 },
      );
    }
    const values = seeded.stringsByName[name];
    return values && values.length > 0 ? fc.constantFrom(...values).map((value) => string(value)) : undefined;
  };

  function scalarValue(typeName: string, fieldName: string): fc.Arbitrary<InputValue> {
    const hinted = typeName === 'Int' ? intByName[fieldName] : stringByName(fieldName);
    const generic = (() => {
      switch (typeName) {
        case 'Int':
          return intValue;
        case 'Float':
          return floatValue;
        case 'Boolean':
          return fc.boolean().map((value): InputValue => ({ kind: 'boolean', value }));
        case 'ID':
          return idValue;
        case 'Date':
          return dateValue;
        case 'DateTime':
          return dateTimeValue;
        default:
          return stringValue(genericString);
      }
    })();
    return hinted ? fc.oneof({ arbitrary: hinted, weight: 3 }, { arbitrary: generic, weight: 1 }) : generic;
  }

  function enumValue(type: GraphQLEnumType): fc.Arbitrary<InputValue> {
    const names = type.getValues().map((value) => value.name);
    return weighted(
      { arbitrary: fc.constantFrom(...names).map((value): InputValue => ({ kind: 'enum', value })), weight: 10 },
      {
        arbitrary: fc
          .constantFrom('BOGUS', names[0]!.toLowerCase(), 'null', 'true', `${names[0]!}_`)
          .map((value): InputValue => ({ kind: 'enum', value })),
        weight: illTyped(1),
      },
      // A string where an enum goes: wrong inline, right in the variables' JSON.
      { arbitrary: fc.constantFrom(...names).map((value) => string(value)), weight: illTyped(1) },
    );
  }

  function inputObjectValue(type: GraphQLInputObjectType, nesting: number): fc.Arbitrary<InputValue> {
    if (nesting > 3) return fc.constant(NULL);
    const fields = Object.values(type.getFields()).map((field: GraphQLInputField) => {
      const required = kindOf(field.type) === 'GraphQLNonNull';
      return sometimes(
        inputValue(field.type, field.name, nesting + 1).map((value) => ({ name: field.name, value })),
        required ? (typing === 'well-typed' ? 1 : 0.97) : 0.4,
      );
    });
    const unknownField = sometimes(fc.constant({ name: 'bogusField', value: number(1) }), illTyped(0.02));
    return fc.tuple(unknownField, ...fields).map(([extra, ...chosen]): InputValue => ({
      kind: 'object',
      fields: [...chosen, extra].filter((field) => field !== null),
    }));
  }

  /** A value for a position of type `type` named `name` (an argument or input field). */
  function inputValue(type: GraphQLType, name: string, nesting = 0): fc.Arbitrary<InputValue> {
    const key = `${String(type)}|${name}|${nesting}`;
    const known = inputValues.get(key);
    if (known) return known;
    let arbitrary: fc.Arbitrary<InputValue>;
    const kind = kindOf(type);
    if (kind === 'GraphQLNonNull') {
      const inner = (type as { ofType: GraphQLType }).ofType;
      arbitrary = weighted(
        { arbitrary: inputValue(inner, name, nesting), weight: 40 },
        { arbitrary: fc.constant(NULL), weight: illTyped(1) },
      );
    } else {
      let core: fc.Arbitrary<InputValue>;
      if (kind === 'GraphQLList') {
        const item = inputValue((type as { ofType: GraphQLType }).ofType, name, nesting + 1);
        core = fc.oneof(
          {
            arbitrary: fc.array(item, { maxLength: 3 }).map((items): InputValue => ({ kind: 'list', items })),
            weight: 20,
          },
          // One item where a list goes, which GraphQL takes as a list of one.
          { arbitrary: item, weight: 1 },
          // Past the 100-item limits of the bulk mutations and nodes(ids:).
          {
            arbitrary: fc
              .tuple(item, fc.integer({ min: 99, max: 140 }))
              .map(([value, length]): InputValue => ({ kind: 'list', items: Array.from({ length }, () => value) })),
            weight: 1,
          },
        );
      } else if (kind === 'GraphQLInputObjectType') {
        core = inputObjectValue(type as GraphQLInputObjectType, nesting);
      } else if (kind === 'GraphQLEnumType') {
        core = enumValue(type as GraphQLEnumType);
      } else {
        core = scalarValue((type as GraphQLNamedType).name, name);
      }
      arbitrary = weighted(
        { arbitrary: core, weight: 24 },
        { arbitrary: fc.constant(NULL), weight: 1 },
        { arbitrary: wrongKindValue, weight: illTyped(1) },
      );
    }
    inputValues.set(key, arbitrary);
    return arbitrary;
  }

  return inputValue;
}
