/**
 * A query built and compiled once per shape, then run with each call's values: the hot loaders send the same
 * few statements on every request, and building and compiling a Kysely query (frozen node trees, the
 * compiler's walk) was about a tenth of the API's CPU per request (docs/PERFORMANCE.md, the request profile).
 *
 * The repository function stays a plain Kysely builder. It is run once per shape with stand-ins for its
 * arguments; the stand-ins come out of the compiler as the statement's parameters, and each later call sends
 * the same SQL with its own values in their places (`db.executeQuery(compiled)`, as Kysely's docs run a query
 * compiled ahead). A shape is the list arguments' lengths: `in (?, ?)` and `in (?, ?, ?)` are two statements.
 */
import { type Compilable, type CompiledQuery, createQueryId, type DialectAdapter, type Kysely } from 'kysely';

/** Stands in for one argument, or one item of a list argument, while the query is built. */
class Slot {
  constructor(
    readonly name: string,
    readonly index: number | null,
  ) {}
}

/**
 * Shapes kept per query and database. The loaders' batches have a bounded number of lengths; past this the
 * oldest shape is compiled again when next asked for.
 */
export const PREPARED_SHAPES_KEPT = 256;

/** A prepared query's arguments: values, or lists of values, each sent as statement parameters. */
export type PreparedArgs = Record<string, unknown>;

export interface PreparedQuery<DB, Args extends PreparedArgs, Row> {
  (db: Kysely<DB>, args: Args): Promise<Row[]>;
  /** How many times the query was compiled: once per shape and database, and per run a plugin rewrote. */
  readonly compilations: number;
}

/**
 * Prepares `build` (a Kysely query of `args`, which it must use only as values: in comparisons, `in` lists,
 * `sql` parameters). Running it in a transaction uses the shape compiled for its database. The database's
 * plugins see every run's query, as they would a built one's (the API's request deadline and statement budget
 * are counted there); a plugin that rewrites it has the rewritten query compiled for that run.
 */
export function preparedQuery<DB, Args extends PreparedArgs, Row>(
  build: (db: Kysely<DB>, args: Args) => Compilable<Row>,
): PreparedQuery<DB, Args, Row> {
  // By adapter: one per Kysely instance (a dialect's SQL), shared by its transactions and its withPlugin copies.
  const shapesByDatabase = new WeakMap<DialectAdapter, Map<string, CompiledQuery<Row>>>();
  let compilations = 0;

  const shapeFor = (db: Kysely<DB>, args: Args): CompiledQuery<Row> => {
    const { adapter } = db.getExecutor();
    let shapes = shapesByDatabase.get(adapter);
    if (!shapes) shapesByDatabase.set(adapter, (shapes = new Map()));
    const shape = shapeOf(args);
    let compiled = shapes.get(shape);
    if (!compiled) {
      compilations += 1;
      // Without plugins: they see each run's query below, not the shape's.
      compiled = build(db.withoutPlugins(), slotsFor(args)).compile();
      assertEverySlotIsAParameter(compiled, args);
      if (shapes.size >= PREPARED_SHAPES_KEPT) shapes.delete(shapes.keys().next().value!);
      shapes.set(shape, compiled);
    }
    return compiled;
  };

  const run = async (db: Kysely<DB>, args: Args): Promise<Row[]> => {
    let compiled = shapeFor(db, args);
    const executor = db.getExecutor();
    if (executor.plugins.length > 0) {
      const queryId = createQueryId();
      const node = executor.transformQuery(compiled.query, queryId);
      if (node === compiled.query) {
        compiled = { ...compiled, queryId };
      } else {
        compilations += 1;
        compiled = executor.compileQuery<Row>(node, queryId);
      }
    }
    const parameters = compiled.parameters.map((parameter) =>
      parameter instanceof Slot ? valueOf(parameter, args) : parameter,
    );
    const result = await db.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
  return Object.defineProperty(run, 'compilations', { get: () => compilations }) as PreparedQuery<DB, Args, Row>;
}

function shapeOf(args: PreparedArgs): string {
  let shape = '';
  for (const name in args) {
    const value = args[name];
    shape += Array.isArray(value) ? `${name}[${value.length}],` : `${name},`;
  }
  return shape;
}

/** The arguments as stand-ins, typed as the arguments so that the builder reads as any repository function. */
function slotsFor<Args extends PreparedArgs>(args: Args): Args {
  const slots: PreparedArgs = {};
  for (const name in args) {
    const value = args[name];
    slots[name] = Array.isArray(value) ? value.map((_, index) => new Slot(name, index)) : new Slot(name, null);
  }
  return slots as Args;
}

function valueOf(slot: Slot, args: PreparedArgs): unknown {
  const value = args[slot.name];
  return slot.index === null ? value : (value as unknown[])[slot.index];
}

/** A stand-in the builder dropped or inlined would leave a value out of every later run: refuse the shape. */
function assertEverySlotIsAParameter(compiled: CompiledQuery, args: PreparedArgs): void {
  const sent = new Set<string>();
  for (const parameter of compiled.parameters) {
    if (parameter instanceof Slot) sent.add(`${parameter.name}:${parameter.index}`);
  }
  for (const name in args) {
    const value = args[name];
    const expected = Array.isArray(value) ? value.map((_, index) => `${name}:${index}`) : [`${name}:null`];
    const missing = expected.find((key) => !sent.has(key));
    if (missing) throw new Error(`preparedQuery: argument ${name} is not sent as a statement parameter`);
  }
}
