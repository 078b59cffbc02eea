/** The hand-written Database types and the migrations must describe the same schema, on every engine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERY_COLUMN_LISTED, TABLE_COLUMNS } from './columns.ts';
import { type TestDatabase, testEngines } from './testing.ts';

for (const engine of testEngines()) {
  describe(`the Database types on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('name exactly the columns the migrations create', async () => {
      expect(EVERY_COLUMN_LISTED).toBe(true);
      const tables = await database.handle.db.introspection.getTables();
      const actual = Object.fromEntries(
        tables
          // audit_log_seq is MariaDB's SEQUENCE for the audit log's order, which Kysely lists as a table.
          .filter((table) => !table.name.startsWith('kysely_') && table.name !== 'audit_log_seq')
          .map((table) => [table.name, table.columns.map((column) => column.name).sort()]),
      );
      const expected = Object.fromEntries(
        Object.entries(TABLE_COLUMNS).map(([table, columns]) => [table, [...columns].sort()]),
      );
      expect(actual).toEqual(expected);
    });
  });
}
