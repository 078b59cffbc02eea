import { CamelCasePlugin, type Kysely, type LogEvent } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQuery } from './prepared-query.ts';
import { type TestDatabase, testEngines } from './testing.ts';

interface Items {
  items: { id: number; group_id: number; item_name: string };
}

const ROWS = [
  { id: 1, group_id: 10, item_name: 'one' },
  { id: 2, group_id: 10, item_name: 'two' },
  { id: 3, group_id: 20, item_name: 'three' },
  { id: 4, group_id: 20, item_name: 'four' },
];

const itemsOf = (db: Kysely<Items>, { groups, ids }: { groups: number[]; ids: number[] }) =>
  db.selectFrom('items').selectAll().where('group_id', 'in', groups).where('id', 'in', ids).orderBy('id');

for (const engine of testEngines()) {
  describe(`preparedQuery on ${engine.name}`, () => {
    let database: TestDatabase;
    let db: Kysely<Items>;
    const statements: string[] = [];
    beforeAll(async () => {
      database = await engine.createDatabase({
        migrate: false,
        log: (event: LogEvent) => void statements.push(event.query.sql),
      });
      db = database.handle.db as unknown as Kysely<Items>;
      await db.schema
        .createTable('items')
        .addColumn('id', 'integer', (column) => column.primaryKey())
        .addColumn('group_id', 'integer', (column) => column.notNull())
        .addColumn('item_name', 'varchar(20)', (column) => column.notNull())
        .execute();
      await db.insertInto('items').values(ROWS).execute();
    });
    afterAll(() => database.drop());

    it('compiles once per shape and answers each call with its own values, as the plain query does', async () => {
      const items = preparedQuery(itemsOf);
      const calls = [
        { groups: [10], ids: [1, 2] },
        { groups: [20], ids: [3, 4] },
        { groups: [10], ids: [2, 4] },
        { groups: [10, 20], ids: [1, 4] },
        { groups: [20, 10], ids: [4, 3] },
      ];
      const compilations: number[] = [];
      for (const args of calls) {
        expect(await items(db, args)).toEqual(await itemsOf(db, args).execute());
        compilations.push(items.compilations);
      }
      // Two shapes: one group and two ids, then two of each.
      expect(compilations).toEqual([1, 1, 1, 2, 2]);
    });

    it('sends one statement per call, the SQL the plain query compiles to', async () => {
      const items = preparedQuery(itemsOf);
      const args = { groups: [20], ids: [3] };
      await items(db, args);
      statements.length = 0;
      await items(db, { groups: [10], ids: [2] });
      expect(statements).toEqual([itemsOf(db, args).compile().sql]);
    });

    it("uses its database's shapes inside a transaction", async () => {
      const items = preparedQuery(itemsOf);
      await items(db, { groups: [10], ids: [1] });
      const rows = await db.transaction().execute((trx) => items(trx, { groups: [20], ids: [3] }));
      expect(rows).toEqual([ROWS[2]]);
      expect(items.compilations).toBe(1);
    });

    it('shows every run to the plugins, compiling only the runs a plugin rewrites', async () => {
      const items = preparedQuery(itemsOf);
      const seen: string[] = [];
      // A plugin that looks and leaves the query as it is, as the API's request deadline does.
      const watching = db.withPlugin({
        transformQuery: ({ node }) => (seen.push(node.kind), node),
        transformResult: async ({ result }) => result,
      });
      await items(watching, { groups: [10], ids: [1] });
      expect(await items(watching, { groups: [20], ids: [4] })).toEqual([ROWS[3]]);
      expect(seen).toEqual(['SelectQueryNode', 'SelectQueryNode']);
      expect(items.compilations).toBe(1);

      const camel = db.withPlugin(new CamelCasePlugin()) as unknown as Kysely<Items>;
      expect(await items(camel, { groups: [10], ids: [2] })).toEqual([{ id: 2, groupId: 10, itemName: 'two' }]);
      expect(items.compilations).toBe(2);
    });

    it('refuses a builder that leaves an argument out of its parameters, which later calls could not bind', async () => {
      const ignoring = preparedQuery((db: Kysely<Items>, _args: { id: number }) =>
        db.selectFrom('items').selectAll().where('id', '=', 1),
      );
      await expect(ignoring(db, { id: 2 })).rejects.toThrow('argument id is not sent as a statement parameter');
    });
  });
}
