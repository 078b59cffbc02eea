/**
 * GraphQL requests generated from the schema, for fuzzing the API (fuzz.faults.test.ts). Operations are built by
 * walking the schema's types: root fields, their arguments with generated values (realistic ones drawn from the
 * seeded data, and hostile ones: wrong types, out-of-range numbers, long and odd strings, bogus ids, bad enums and
 * dates, null where null is not allowed), sub-selections to a bounded depth, fragments, aliases and directives;
 * values go inline or as variables. Some requests are then broken on purpose: a corrupted document, a GET, a body
 * that is not the JSON GraphQL expects.
 *
 * Every value is a fast-check arbitrary composed from smaller ones, so a failure shrinks towards a small request.
 * Types are told apart by their Symbol.toStringTag rather than graphql's `isObjectType` and kin, which are
 * instanceof checks that fail when the schema comes from another copy of graphql.
 */
import fc from 'fast-check';
import { parse, visit } from 'graphql';
import type {
  GraphQLAbstractType,
  GraphQLArgument,
  GraphQLEnumType,
  GraphQLField,
  GraphQLInputField,
  GraphQLInputObjectType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLType,
} from 'graphql';

/** Values of the seeded database that generated arguments draw on, so that many operations reach real rows. */
export interface SeededValues {
  /** Global ids of seeded rows of every Node type, as the callers see them. */
  globalIds: readonly string[];
  /** Realistic strings for arguments and input fields of these names (email, studentExternalId, term, ...). */
  stringsByName: Readonly<Record<string, readonly string[]>>;
}

/** One HTTP request to /graphql, as the fuzz test sends it (and as fast-check prints it on a failure). */
export interface FuzzRequest {
  method: 'POST' | 'GET';
  /** The path with its query string (GET carries the operation there). */
  url: string;
  headers: Record<string, string>;
  /** The raw body; undefined for a GET. */
  body?: string;
  /** The document, for a request that carries one: tells the test which mutations it may have run. */
  document: string;
}

/**
 * The strings a request sends as values: in its variables, and as string literals in its document (one broken on
 * purpose has none to read). No answer may quote one: a value can be anyone's personal data.
 */
export function valuesSent(request: FuzzRequest): string[] {
  const values: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') values.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  try {
    const variables =
      request.method === 'GET'
        ? new URL(request.url, 'http://127.0.0.1').searchParams.get('variables')
        : ((JSON.parse(request.body ?? 'null') as { variables?: unknown } | null)?.variables ?? null);
    collect(typeof variables === 'string' ? JSON.parse(variables) : variables);
  } catch {
    // A body or a query string that is not JSON carries no variables to speak of.
  }
  try {
    visit(parse(request.document), { StringValue: (node) => void values.push(node.value) });
  } catch {
    // A document that does not parse is answered with a syntax error, which quotes none of its strings.
  }
  return values;
}

// ---- The generated operation, before it is written out -----------------------------------------------------

type InputValue =
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  /** A number written exactly as given (1e400, -0.0, 1.5), in the document and in the variables' JSON alike. */
  | { kind: 'raw'; text: string }
  | { kind: 'string'; value: string; block: boolean }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: InputValue[] }
  | { kind: 'object'; fields: { name: string; value: InputValue }[] };

/** How an argument's value travels: in the document, or as a variable, perhaps declared with the wrong type. */
type Passing = { as: 'inline' } | { as: 'variable'; declaredType: string | null; omitted: boolean };

interface ArgumentNode {
  name: string;
  value: InputValue;
  passing: Passing;
}

interface DirectiveNode {
  name: string;
  argument: ArgumentNode | null;
}

type SelectionNode =
  | {
      kind: 'field';
      alias: string | null;
      name: string;
      arguments: ArgumentNode[];
      directive: DirectiveNode | null;
      selection: SelectionNode[] | null;
    }
  | { kind: 'inline'; on: string | null; selection: SelectionNode[] }
  | { kind: 'spread'; on: string; selection: SelectionNode[] };

interface OperationNode {
  type: 'query' | 'mutation' | 'subscription';
  name: string | null;
  selection: SelectionNode[];
}

// ---- Telling types apart -----------------------------------------------------------------------------------

type TypeKind =
  | 'GraphQLObjectType'
  | 'GraphQLInterfaceType'
  | 'GraphQLUnionType'
  | 'GraphQLEnumType'
  | 'GraphQLInputObjectType'
  | 'GraphQLScalarType'
  | 'GraphQLList'
  | 'GraphQLNonNull';

const kindOf = (type: GraphQLType): TypeKind => Object.prototype.toString.call(type).slice(8, -1) as TypeKind;

function namedTypeOf(type: GraphQLType): GraphQLNamedType {
  let named = type;
  while ('ofType' in named) named = named.ofType;
  return named;
}

const isLeaf = (type: GraphQLType) => ['GraphQLScalarType', 'GraphQLEnumType'].includes(kindOf(namedTypeOf(type)));

// ---- Small arbitraries ---------------------------------------------------------------------------------------

/** `arbitrary` with probability `probability`, null otherwise. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, probability: number): fc.Arbitrary<T | null> {
  if (probability <= 0) return fc.constant(null);
  if (probability >= 1) return arbitrary;
  const scale = 1000;
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: Math.round((1 - probability) * scale) },
    { arbitrary, weight: Math.round(probability * scale) },
  );
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

const string = (value: string, block = false): InputValue => ({ kind: 'string', value, block });
const number = (value: number): InputValue => ({ kind: 'number', value });
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
type Typing = 'well-typed' | 'ill-typed';

/** fc.oneof over the entries whose weight is above zero: an ill-typed alternative weighs 0 in a well-typed document. */
function weighted<T>(...entries: { arbitrary: fc.Arbitrary<T>; weight: number }[]): fc.Arbitrary<T> {
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
const wrongKindValue: fc.Arbitrary<InputValue> = fc.oneof(
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

// ---- The schema walk ----------------------------------------------------------------------------------------

export interface OperationArbitraryOptions {
  schema: GraphQLSchema;
  seeded: SeededValues;
  /** Object nesting below each root field; deeper documents are generated now and then to meet the depth limit. */
  depth?: number;
}

/**
 * The request arbitrary: mostly well-typed operations, some ill-typed ones, and some broken requests. Every
 * arbitrary for a type at a depth is made once and shared, so the schema walk is built in time linear in it.
 */
export function fuzzRequests({ schema, seeded, depth = 4 }: OperationArbitraryOptions): fc.Arbitrary<FuzzRequest> {
  const argumentTypes = argumentTypesOf(schema);
  const wellTyped = graphQLRequests(schema, seeded, depth, argumentTypes, 'well-typed');
  const illTyped = graphQLRequests(schema, seeded, depth, argumentTypes, 'ill-typed');
  // Three in four requests well-typed, about one in seven ill-typed, the rest broken in transit or in shape.
  return fc.oneof(
    { arbitrary: fc.tuple(wellTyped, idempotencyKey).map(([request, key]) => jsonPost(request, key)), weight: 60 },
    { arbitrary: fc.tuple(illTyped, idempotencyKey).map(([request, key]) => jsonPost(request, key)), weight: 12 },
    {
      arbitrary: fc
        .tuple(wellTyped, corruption)
        .map(([request, how]) => jsonPost({ ...request, query: corrupt(request.query, how) }, null)),
      weight: 3,
    },
    { arbitrary: wellTyped.map(getRequest), weight: 2 },
    { arbitrary: malformedRequest, weight: 3 },
  );
}

/** Documents with their variables, every value keeping to its type or (ill-typed) not always. */
function graphQLRequests(
  schema: GraphQLSchema,
  seeded: SeededValues,
  depth: number,
  argumentTypes: Map<string, string>,
  typing: Typing,
): fc.Arbitrary<WrittenRequest> {
  /** The weight of an alternative that breaks typing: none in a well-typed document. */
  const illTyped = (weight: number) => (typing === 'ill-typed' ? weight : 0);
  const selections = new Map<string, fc.Arbitrary<SelectionNode[]>>();
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

  const WRONG_VARIABLE_TYPES = ['String', 'Int', 'Int!', 'ID!', 'Boolean', '[String]', 'Float!', 'AlertFilter', 'Nope'];
  const passing: fc.Arbitrary<Passing> = weighted(
    { arbitrary: fc.constant<Passing>({ as: 'inline' }), weight: 10 },
    { arbitrary: fc.constant<Passing>({ as: 'variable', declaredType: null, omitted: false }), weight: 10 },
    {
      arbitrary: fc
        .constantFrom(...WRONG_VARIABLE_TYPES)
        .map((declaredType): Passing => ({ as: 'variable', declaredType, omitted: false })),
      weight: illTyped(1),
    },
    { arbitrary: fc.constant<Passing>({ as: 'variable', declaredType: null, omitted: true }), weight: illTyped(1) },
  );

  /**
   * How often an optional argument is given. A page size mostly, to keep pages small and the run quick; the
   * arguments that only go with another (last with before) seldom, so that most pages are asked for correctly.
   */
  const OPTIONAL_ARGUMENT_ODDS: Record<string, number> = { first: 0.8, last: 0.1, after: 0.15, before: 0.05 };

  function argumentsOf(field: GraphQLField<unknown, unknown>): fc.Arbitrary<ArgumentNode[]> {
    const chosen = field.args.map((argument: GraphQLArgument) => {
      const required = kindOf(argument.type) === 'GraphQLNonNull';
      const probability = required
        ? typing === 'well-typed'
          ? 1
          : 0.97
        : (OPTIONAL_ARGUMENT_ODDS[argument.name] ?? 0.3);
      return sometimes(
        fc
          .tuple(inputValue(argument.type, argument.name), passing)
          .map(([value, how]): ArgumentNode => ({ name: argument.name, value, passing: how })),
        probability,
      );
    });
    const unknownArgument = sometimes(
      fc.constant<ArgumentNode>({ name: 'bogus', value: number(1), passing: { as: 'inline' } }),
      illTyped(0.01),
    );
    return fc.tuple(unknownArgument, ...chosen).map((all) => all.filter((argument) => argument !== null));
  }

  const directive: fc.Arbitrary<DirectiveNode | null> = sometimes(
    weighted<DirectiveNode>(
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom('skip', 'include'),
            weighted(
              { arbitrary: fc.boolean().map((value): InputValue => ({ kind: 'boolean', value })), weight: 6 },
              { arbitrary: wrongKindValue, weight: illTyped(1) },
            ),
            passing,
          )
          .map(([name, value, how]): DirectiveNode => ({ name, argument: { name: 'if', value, passing: how } })),
        weight: 4,
      },
      {
        arbitrary: fc
          .constantFrom('deprecated', 'unknownDirective', 'skip')
          .map((name): DirectiveNode => ({ name, argument: null })),
        weight: illTyped(1),
      },
    ),
    0.01,
  );

  const alias = sometimes(
    weighted(
      { arbitrary: fc.constantFrom('a', 'b', 'x1', 'renamed', '_'), weight: 10 },
      { arbitrary: fc.constantFrom('Ω', '1a', '__typename', 'id'), weight: illTyped(1) },
    ),
    0.03,
  );

  const typename: SelectionNode = {
    kind: 'field',
    alias: null,
    name: '__typename',
    arguments: [],
    directive: null,
    selection: null,
  };

  function fieldNode(field: GraphQLField<unknown, unknown>, depthLeft: number): fc.Arbitrary<SelectionNode> | null {
    const leaf = isLeaf(field.type);
    if (!leaf && depthLeft <= 0) return null;
    return fc
      .record({
        alias,
        arguments: argumentsOf(field),
        directive,
        selection: leaf ? fc.constant(null) : selectionOf(namedTypeOf(field.type), depthLeft - 1),
      })
      .map((parts): SelectionNode => ({ kind: 'field', name: field.name, ...parts }));
  }

  /** Selections on an object, interface or union type, `depthLeft` levels of objects deep at most. */
  function selectionOf(type: GraphQLNamedType, depthLeft: number): fc.Arbitrary<SelectionNode[]> {
    const key = `${type.name}|${depthLeft}`;
    const known = selections.get(key);
    if (known) return known;
    // Made lazily, so a type that refers to itself does not recurse while its arbitrary is built.
    const arbitrary = fc.constant(null).chain(() => buildSelectionOf(type, depthLeft));
    selections.set(key, arbitrary);
    return arbitrary;
  }

  function buildSelectionOf(type: GraphQLNamedType, depthLeft: number): fc.Arbitrary<SelectionNode[]> {
    const kind = kindOf(type);
    const parts: fc.Arbitrary<SelectionNode | null>[] = [];
    let fields: GraphQLField<unknown, unknown>[] = [];
    if (kind === 'GraphQLObjectType' || kind === 'GraphQLInterfaceType') {
      fields = Object.values((type as GraphQLObjectType).getFields());
      const candidates = fields.map((field) => fieldNode(field, depthLeft)).filter((node) => node !== null);
      // About two or three fields per selection.
      const probability = Math.min(1, 2.5 / Math.max(candidates.length, 1));
      for (const candidate of candidates) parts.push(sometimes(candidate, probability));
    }
    parts.push(sometimes(fc.constant(typename), 0.1));
    if (depthLeft > 0) {
      if (kind === 'GraphQLInterfaceType' || kind === 'GraphQLUnionType') {
        // `... on Student { ... }` for the types behind an interface, now and then as a named fragment.
        const possible = schema.getPossibleTypes(type as GraphQLAbstractType);
        const probability = Math.min(0.5, 1.5 / Math.max(possible.length, 1));
        for (const concrete of possible) {
          parts.push(
            sometimes(
              fc
                .tuple(selectionOf(concrete, depthLeft - 1), fc.nat(4))
                .map(([selection, roll]): SelectionNode =>
                  roll === 0
                    ? { kind: 'spread', on: concrete.name, selection }
                    : { kind: 'inline', on: concrete.name, selection },
                ),
              probability,
            ),
          );
        }
      } else if (kind === 'GraphQLObjectType') {
        const object = type as GraphQLObjectType;
        const conditions = [object.name, ...object.getInterfaces().map((face) => face.name)];
        parts.push(
          sometimes(
            fc
              .tuple(fc.constantFrom(...conditions), fc.nat(2))
              .chain(([on, roll]) =>
                selectionOf(schema.getType(on)!, depthLeft - 1).map((selection): SelectionNode =>
                  roll === 0 ? { kind: 'spread', on, selection } : { kind: 'inline', on, selection },
                ),
              ),
            0.08,
          ),
        );
        // A fragment on a type that can never be here: a validation error.
        parts.push(
          sometimes(
            fc.constant<SelectionNode>({ kind: 'inline', on: 'PageInfo', selection: [typename] }),
            illTyped(0.01),
          ),
        );
      }
    }
    const firstLeaf = fields.find((field) => isLeaf(field.type) && field.args.length === 0);
    const fallback: SelectionNode = firstLeaf
      ? { kind: 'field', alias: null, name: firstLeaf.name, arguments: [], directive: null, selection: null }
      : typename;
    return fc.tuple(...parts).map((chosen) => {
      const selection = chosen.filter((node) => node !== null);
      return selection.length > 0 ? selection : [fallback];
    });
  }

  function rootFields(type: GraphQLObjectType, depthLeft: number, maxLength: number) {
    const fields = Object.values(type.getFields())
      .map((field) => fieldNode(field, depthLeft))
      .filter((node) => node !== null);
    return fc.array(fc.oneof(...fields), { minLength: 1, maxLength });
  }

  const queryType = schema.getQueryType()!;
  const mutationType = schema.getMutationType()!;
  const leafNamed = (name: string): SelectionNode => ({ ...typename, name });
  const introspection: fc.Arbitrary<SelectionNode[]> = fc.constantFrom<SelectionNode[]>(
    [
      {
        ...typename,
        name: '__schema',
        selection: [{ ...typename, name: 'queryType', selection: [leafNamed('name')] }],
      },
    ],
    [
      {
        ...typename,
        name: '__type',
        arguments: [{ name: 'name', value: string('Student'), passing: { as: 'inline' } }],
        selection: [leafNamed('name')],
      },
    ],
  );

  const operationName = sometimes(fc.constantFrom('Fuzz', 'FuzzAgain', 'query', '_1'), 0.3);
  const operation: fc.Arbitrary<OperationNode> = weighted<OperationNode>(
    {
      arbitrary: fc.record({
        type: fc.constant('query' as const),
        name: operationName,
        selection: fc.oneof(
          { arbitrary: rootFields(queryType, depth, 3), weight: 20 },
          // Deep enough that some meet the depth limit.
          { arbitrary: rootFields(queryType, depth + 8, 1), weight: 1 },
        ),
      }),
      weight: 20,
    },
    {
      arbitrary: fc.record({
        type: fc.constant('mutation' as const),
        name: operationName,
        selection: rootFields(mutationType, depth - 1, 2),
      }),
      weight: 10,
    },
    {
      arbitrary: fc.record({
        type: fc.constantFrom('query' as const, 'subscription' as const),
        name: operationName,
        selection: introspection,
      }),
      weight: illTyped(2),
    },
  );

  /** The document and variables; sometimes two operations, with or without an operationName to choose. */
  return fc.tuple(operation, sometimes(operation, illTyped(0.05)), fc.nat(3)).map(([first, second, choice]) => {
    const written = writeDocument(second ? [first, second] : [first], argumentTypes);
    const names = [first.name, second?.name].filter((name) => name !== null && name !== undefined);
    const chooses = second !== null || (typing === 'ill-typed' && choice === 0);
    const operationName = chooses ? (names[choice % Math.max(names.length, 1)] ?? 'Missing') : undefined;
    return { ...written, operationName };
  });
}

// ---- Writing it out -----------------------------------------------------------------------------------------

function writeLiteral(value: InputValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return Number.isFinite(value.value) ? String(value.value) : 'null';
    case 'raw':
      return value.text;
    case 'string':
      return value.block && fitsBlockString(value.value)
        ? `"""${value.value.replaceAll('"""', '\\"""')}"""`
        : JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'enum':
      return /^[_A-Za-z][_0-9A-Za-z]*$/.test(value.value) ? value.value : JSON.stringify(value.value);
    case 'list':
      return `[${value.items.map(writeLiteral).join(', ')}]`;
    case 'object':
      return `{ ${value.fields.map((field) => `${field.name}: ${writeLiteral(field.value)}`).join(', ')} }`;
  }
}

/**
 * Whether a string can be written as a block string and read back the same (but for the indentation a block
 * string drops): no backslash, which could escape the closing quotes, and no control character but whitespace.
 */
function fitsBlockString(value: string): boolean {
  return (
    !value.includes('\\') && [...value].every((char) => char >= ' ' || char === '\t' || char === '\n' || char === '\r')
  );
}

/** The variable's value as JSON text, written by hand so that a raw number such as 1e400 goes out as it is. */
function writeJson(value: InputValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return Number.isFinite(value.value) ? String(value.value) : 'null';
    case 'raw':
      return value.text === '-0' || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.text)
        ? value.text
        : JSON.stringify(value.text);
    case 'string':
    case 'enum':
      return JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map(writeJson).join(',')}]`;
    case 'object':
      return `{${value.fields.map((field) => `${JSON.stringify(field.name)}:${writeJson(field.value)}`).join(',')}}`;
  }
}

interface WrittenRequest {
  query: string;
  /** The variables object as JSON text; undefined when the operation declares none. */
  variables: string | undefined;
  operationName?: string | undefined;
}

function writeDocument(operations: OperationNode[], argumentTypes: Map<string, string>): WrittenRequest {
  const fragments: string[] = [];
  const variableValues: string[] = [];
  let counter = 0;

  function writeArgument(argument: ArgumentNode, definitions: string[], declaredType: string): string {
    if (argument.passing.as === 'inline') return `${argument.name}: ${writeLiteral(argument.value)}`;
    counter += 1;
    const variable = `v${counter}`;
    definitions.push(`$${variable}: ${argument.passing.declaredType ?? declaredType}`);
    if (!argument.passing.omitted) variableValues.push(`${JSON.stringify(variable)}:${writeJson(argument.value)}`);
    return `${argument.name}: $${variable}`;
  }

  function writeSelection(selection: SelectionNode[], definitions: string[], types: Map<string, string>): string {
    const responseNames = new Set<string>();
    const written = selection.map((node) => {
      if (node.kind === 'inline') {
        return `... ${node.on ? `on ${node.on} ` : ''}{ ${writeSelection(node.selection, definitions, types)} }`;
      }
      if (node.kind === 'spread') {
        const name = `F${fragments.length + 1}`;
        fragments.push('');
        const index = fragments.length - 1;
        fragments[index] = `fragment ${name} on ${node.on} { ${writeSelection(node.selection, definitions, types)} }`;
        return `...${name}`;
      }
      // Two fields with one response name must agree; an alias keeps the document valid.
      let alias = node.alias;
      let responseName = alias ?? node.name;
      if (responseNames.has(responseName)) {
        alias = `${node.name}_${responseNames.size}`;
        responseName = alias;
      }
      responseNames.add(responseName);
      const args = node.arguments.map((argument) =>
        writeArgument(argument, definitions, types.get(`${node.name}.${argument.name}`) ?? 'String'),
      );
      const directiveArgument = node.directive?.argument
        ? `(${writeArgument(node.directive.argument, definitions, 'Boolean!')})`
        : '';
      const directive = node.directive ? ` @${node.directive.name}${directiveArgument}` : '';
      const below = node.selection ? ` { ${writeSelection(node.selection, definitions, types)} }` : '';
      const argumentList = args.length > 0 ? `(${args.join(', ')})` : '';
      return `${alias ? `${alias}: ` : ''}${node.name}${argumentList}${directive}${below}`;
    });
    return written.join(' ');
  }

  const written = operations.map((operation) => {
    const definitions: string[] = [];
    const body = writeSelection(operation.selection, definitions, argumentTypes);
    const header = [operation.type, operation.name, definitions.length > 0 ? `(${definitions.join(', ')})` : null]
      .filter((part) => part !== null)
      .join(' ');
    return `${header} { ${body} }`;
  });
  return {
    query: [...written, ...fragments].join('\n'),
    variables: variableValues.length > 0 ? `{${variableValues.join(',')}}` : undefined,
  };
}

/** The declared type of every field's arguments (`students.first`: `Int`), which variables are declared with. */
function argumentTypesOf(schema: GraphQLSchema): Map<string, string> {
  const argumentTypes = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!['GraphQLObjectType', 'GraphQLInterfaceType'].includes(kindOf(type))) continue;
    for (const field of Object.values((type as GraphQLObjectType).getFields())) {
      for (const argument of field.args) argumentTypes.set(`${field.name}.${argument.name}`, String(argument.type));
    }
  }
  return argumentTypes;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A POST of the request as JSON, with the Idempotency-Key header a retrying client sends, if given. */
function jsonPost(request: WrittenRequest, idempotencyKey: string | null): FuzzRequest {
  const parts = [`"query":${JSON.stringify(request.query)}`];
  if (request.variables !== undefined) parts.push(`"variables":${request.variables}`);
  if (request.operationName !== undefined) parts.push(`"operationName":${JSON.stringify(request.operationName)}`);
  const headers = idempotencyKey === null ? JSON_HEADERS : { ...JSON_HEADERS, 'idempotency-key': idempotencyKey };
  return { method: 'POST', url: '/graphql', headers, body: `{${parts.join(',')}}`, document: request.query };
}

/** Idempotency keys of odd shapes, now and then: too long for the column, not ASCII, empty. */
const idempotencyKey = sometimes(fc.constantFrom('k'.repeat(300), '🔑 \u00e9', '', 'retry-1'), 0.1);

function getRequest(request: WrittenRequest): FuzzRequest {
  const parameters = new URLSearchParams({ query: request.query });
  if (request.variables !== undefined) parameters.set('variables', request.variables);
  if (request.operationName !== undefined) parameters.set('operationName', request.operationName);
  return {
    method: 'GET',
    url: `/graphql?${parameters.toString()}`,
    // Apollo's CSRF prevention lets a GET through only with a header a browser form cannot send.
    headers: { 'apollo-require-preflight': 'true' },
    document: request.query,
  };
}

/** A way to break a document: cut it, insert a character, or drop one, at a fraction of its length. */
interface Corruption {
  how: 'cut' | 'insert' | 'delete';
  at: number;
  text: string;
}

const corruption: fc.Arbitrary<Corruption> = fc.record({
  how: fc.constantFrom('cut' as const, 'insert' as const, 'delete' as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.constantFrom(
    '{',
    '}',
    '(',
    ')',
    '$',
    '"',
    '"""',
    '...',
    '@',
    '#',
    '\u0000',
    '\\',
    ':',
    '!',
    '[',
    ']',
    '\uD800',
    '&',
    '|',
    '=',
    ',',
  ),
});

function corrupt(query: string, { how, at, text }: Corruption): string {
  const position = Math.floor(at * query.length);
  if (how === 'cut') return query.slice(0, position);
  if (how === 'insert') return `${query.slice(0, position)}${text}${query.slice(position)}`;
  return `${query.slice(0, position)}${query.slice(position + 1)}`;
}

const SHA256_OF_NOTHING_WE_SENT = 'a'.repeat(64);
/** Past the depth limit along real fields: a student's classroom's students, five times over. */
const CLASSMATES = 'classroom { students(first: 1) { nodes { ';
const TOO_DEEP = `{ students(first: 1) { nodes { ${CLASSMATES.repeat(5)}id${' } } }'.repeat(5)} } } }`;
/** Past the node limit: 100 students × 100 alerts × 100 cases. */
const TOO_MANY_NODES =
  '{ students(first: 100) { nodes { alerts(first: 100) { nodes { ' +
  'student { cases(first: 100) { nodes { id } } } } } } } }';

/** Bodies and headers that are not a well-formed GraphQL request at all. */
const malformedRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"{ __typename }"',
        '[{"query":"{ __typename }"}]',
        '{"query":1}',
        '{"query":null}',
        '{"query":{}}',
        '{"query":""}',
        '{"query":"{ __typename }","variables":"x"}',
        '{"query":"{ __typename }","variables":[1]}',
        '{"query":"{ __typename }","variables":null}',
        '{"query":"{ __typename }","operationName":{}}',
        '{"query":"{ __typename }","operationName":7}',
        '{"query":"{ __typename }","extensions":"x"}',
        `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`,
        `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"${SHA256_OF_NOTHING_WE_SENT}"}}}`,
        `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"${SHA256_OF_NOTHING_WE_SENT}"}}}`,
        '{"query":"{ __typename }"}garbage',
        '{"__proto__":{"query":"{ __typename }"}}',
        '{"query":"{ __typename }","__proto__":{"variables":{}}}',
        '{"query":"{ __typename }","query":"{ viewer { role } }"}',
        '\u0000',
        '\uFEFF{"query":"{ __typename }"}',
        `{"query":"query ($v: [[[Int]]]) { __typename }","variables":{"v":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
        `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
        `{"query":"{ ${'__typename '.repeat(6000)}}"}`,
        JSON.stringify({ query: TOO_DEEP }),
        `{"query":"{ ${Array.from({ length: 30 }, (_, index) => `a${index}: __typename`).join(' ')} }"}`,
        `{"query":"{ ${Array.from({ length: 30 }, (_, index) => `f${index}: viewer { role }`).join(' ')} }"}`,
        JSON.stringify({ query: TOO_MANY_NODES }),
        `{"query":"fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"}`,
        `{"query":"{ __typename }","variables":{"${'x'.repeat(1000)}":1}}`,
        `{"query":"${'x'.repeat(1_100_000)}"}`,
      ),
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/graphql-response+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/graphql',
        '',
      ),
    )
    .map(([body, contentType]): FuzzRequest => ({
      method: 'POST',
      url: '/graphql',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
      document: '',
    })),
  fc
    .constantFrom(
      '/graphql',
      '/graphql?query=',
      '/graphql?query=%7B',
      '/graphql?query=mutation%20%7B%20signOut%20%7B%20signedOut%20%7D%20%7D',
      '/graphql?query=%7B%20__typename%20%7D&variables=%7B',
      '/graphql?query=%7B%20__typename%20%7D&variables=%5B%5D',
      '/graphql?query=%7B%20__typename%20%7D&extensions=x',
      '/graphql?query[]=a&query[]=b',
      `/graphql?query=${'%7B'.repeat(3000)}`,
    )
    .map((url): FuzzRequest => ({ method: 'GET', url, headers: { 'apollo-require-preflight': 'true' }, document: '' })),
);
