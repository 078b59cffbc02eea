import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from './audit.maintenance.ts';
import { type AuditActor, appendAuditEntry } from './audit.writer.ts';

const ACTOR: AuditActor = { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: 'req-Ω', ip: '::1' };

/** Counts the statements Kysely sends (not BEGIN and COMMIT, which the driver sends itself). */
function statementCounter() {
  const counter = { statements: 0 };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      counter.statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { counter, plugin };
}

for (const engine of testEngines()) {
  describe(`appending to the audit chain on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('chains entries whose text is not ASCII, so that the verifier agrees with the writer', async () => {
      const { db, dialect } = database.handle;
      // Accents, an astral-plane emoji, quotes, a backslash and a newline: every byte the encoding must agree on.
      const name = 'Zoë Ødegård — “keys” \\ 😀\nsecond line';
      await db.transaction().execute((trx) =>
        appendAuditEntry(trx, dialect, ACTOR, {
          action: 'api_token.created',
          schoolId: null,
          apiTokenId: 7,
          changes: { name },
        }),
      );
      // Two entries in one transaction take consecutive places.
      await db.transaction().execute(async (trx) => {
        await appendAuditEntry(trx, dialect, ACTOR, { action: 'session.signed_out', schoolId: null, userId: 3 });
        await appendAuditEntry(trx, dialect, ACTOR, { action: 'session.signed_in', schoolId: null, userId: 3 });
      });

      const entries = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      expect(entries.map((entry) => [Number(entry.seq), entry.action])).toEqual([
        [1, 'api_token.created'],
        [2, 'session.signed_out'],
        [3, 'session.signed_in'],
      ]);
      expect(JSON.parse(entries[0]!.details!)).toEqual({ name });
      expect(await verifyChain(db)).toEqual({ ok: true, entries: 3 });
    });

    it('sends two statements per entry on MySQL, where the database hashes while it holds the head', async () => {
      const { counter, plugin } = statementCounter();
      const db = database.handle.db.withPlugin(plugin);
      await db.transaction().execute((trx) =>
        appendAuditEntry(trx, database.handle.dialect, ACTOR, {
          action: 'session.signed_in',
          schoolId: null,
          userId: 4,
        }),
      );
      // SQLite reads the head and hashes in the API, under its single write lock.
      expect(counter.statements).toBe(engine.name === 'mysql' ? 2 : 4);
      expect(await verifyChain(database.handle.db)).toMatchObject({ ok: true });
    });
  });
}
