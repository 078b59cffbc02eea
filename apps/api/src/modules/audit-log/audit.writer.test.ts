import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from './audit.maintenance.ts';
import { districtWide } from '../../school-scope.ts';
import {
  type AuditActor,
  type AuditEvent,
  appendAuditEntries,
  appendAuditEntry,
  recordAuditEvent,
} from './audit.writer.ts';

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
      expect(await verifyChain(db)).toMatchObject({ ok: true, entries: 3 });
    });

    it("sends one statement per entry on MySQL: the chain head's lock is taken by the last statement before COMMIT", async () => {
      const sent: string[] = [];
      const plugin: KyselyPlugin = {
        transformQuery(args) {
          sent.push(args.node.kind);
          return args.node;
        },
        transformResult: async (args) => args.result,
      };
      const db = database.handle.db.withPlugin(plugin);
      await db.transaction().execute((trx) =>
        appendAuditEntry(trx, database.handle.dialect, ACTOR, {
          action: 'session.signed_in',
          schoolId: null,
          userId: 4,
        }),
      );
      // MySQL: the CALL that advances the head and inserts the entry is all, so a caller appending last holds the
      // lock for the COMMIT's round trip alone. SQLite reads the head and hashes in the API, under its write lock.
      expect(sent).toEqual(
        engine.name === 'mysql' ? ['RawNode'] : ['RawNode', 'SelectQueryNode', 'InsertQueryNode', 'InsertQueryNode'],
      );
      expect(await verifyChain(database.handle.db)).toMatchObject({ ok: true });
    });

    it('appends a batch under one hold of the head: one statement on MySQL, hashed as the verifier does', async () => {
      const { counter, plugin } = statementCounter();
      const db = database.handle.db.withPlugin(plugin);
      // Every kind of value the procedure's JSON must carry through unchanged: text that is not ASCII, quotes, a
      // backslash and a newline, nulls (left out of its JSON), and a value longer than MySQL's JSON_VALUE keeps.
      const long = 'x'.repeat(2_000);
      const events: AuditEvent[] = [
        { action: 'student.disclosed', schoolId: 1, studentId: 11, via: 'students' },
        { action: 'api_token.created', schoolId: null, apiTokenId: 7, changes: { name: 'Zoë “x” \\ 😀\n2', long } },
        { action: 'session.signed_out', schoolId: null, userId: 3 },
        ...Array.from({ length: 600 }, (_, index) => ({
          action: 'student.disclosed' as const,
          schoolId: 2,
          studentId: 1_000 + index,
          via: 'nodes',
        })),
      ];
      const before = await lastSeq(database);
      await appendAuditEntries(db, database.handle.dialect, ACTOR, events, new Date('2026-12-07T10:00:00.123Z'));
      // 603 entries are two batches (500 + 103): a statement each on MySQL; on SQLite four each, in a transaction.
      expect(counter.statements).toBe(engine.name === 'mysql' ? 2 : 8);
      const written = await database.handle.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', before)
        .orderBy('seq')
        .execute();
      // Numbered chain by chain (the district's, 0, first), each chain's entries in the order given.
      expect(written.map((entry) => entry.action)).toEqual(
        [events[1], events[2], events[0], ...events.slice(3)].map((event) => event!.action),
      );
      expect(written.map((entry) => Number(entry.seq))).toEqual(events.map((_, index) => before + index + 1));
      expect(JSON.parse(written[0]!.details!)).toEqual({ name: 'Zoë “x” \\ 😀\n2', long });
      expect(written[0]).toMatchObject({ school_id: null, student_id: null, user_id: null, request_id: 'req-Ω' });
      expect(written[2]).toMatchObject({ school_id: 1, student_id: 11, entity_type: 'student', entity_id: 11 });
      expect(written[2]!.occurred_at).toBe('2026-12-07 10:00:00.123');
      // Each chain's own positions: school 1's and school 2's chains start here, the district's goes on.
      expect(written.slice(2).map((entry) => Number(entry.chain_seq))).toEqual([
        1,
        ...Array.from({ length: 600 }, (_, index) => index + 1),
      ]);
      expect(await verifyChain(database.handle.db)).toMatchObject({ ok: true });
    });

    it('keeps one chain while batches and single entries are appended at once', async () => {
      const { db, dialect } = database.handle;
      const batch = (n: number): AuditEvent[] =>
        Array.from({ length: 20 }, (_, index) => ({
          action: 'student.disclosed',
          schoolId: 1,
          studentId: n * 100 + index,
          via: 'students',
        }));
      await Promise.all([
        ...Array.from({ length: 8 }, (_, n) => appendAuditEntries(db, dialect, ACTOR, batch(n), new Date())),
        ...Array.from({ length: 8 }, (_, n) =>
          db
            .transaction()
            .execute((trx) =>
              appendAuditEntry(trx, dialect, ACTOR, { action: 'session.signed_in', schoolId: null, userId: n + 1 }),
            ),
        ),
      ]);
      const seqs = (await db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((row) =>
        Number(row.seq),
      );
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(await verifyChain(db)).toMatchObject({ ok: true, entries: seqs.length });
      // Every chain's head is its last entry's position.
      const heads = await db.selectFrom('audit_chain_head').select(['id', 'seq']).where('id', '>=', 0).execute();
      const lastOf = await db
        .selectFrom('audit_log')
        .select((eb) => [eb.fn.coalesce('school_id', eb.lit(0)).as('chain'), eb.fn.max('chain_seq').as('last')])
        .where(districtWide('audit-chain'))
        .groupBy('school_id')
        .execute();
      expect(Object.fromEntries(heads.map((head) => [Number(head.id), Number(head.seq)]))).toEqual(
        Object.fromEntries(lastOf.map((row) => [Number(row.chain), Number(row.last)])),
      );
    });

    if (engine.name === 'mysql') {
      // SQLite has one writer at a time for the whole database; MariaDB locks rows, so this is where it shows.
      it("lets a school's write commit while another school's chain is held, and queues a write of the same school", async () => {
        const { db, dialect } = database.handle;
        const signIn = (schoolId: number, userId: number): AuditEvent => ({
          action: 'session.signed_in',
          schoolId,
          userId,
        });
        let release!: () => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let holding!: () => void;
        const held = new Promise<void>((resolve) => {
          holding = resolve;
        });
        // School 1's head stays locked until released: an audited change whose transaction has not yet committed.
        const holder = db.transaction().execute(async (trx) => {
          await appendAuditEntry(trx, dialect, ACTOR, signIn(1, 1));
          holding();
          await released;
        });
        await held;
        const settledWithin = (work: Promise<void>, ms: number) =>
          Promise.race([
            work.then(() => 'committed'),
            new Promise((resolve) => setTimeout(() => resolve('waiting'), ms)),
          ]);
        const otherSchool = recordAuditEvent(db, dialect, ACTOR, signIn(2, 2));
        // A batch of reads (the stored procedure) in school 2 and the district's own entry, likewise.
        const otherBatch = appendAuditEntries(
          db,
          dialect,
          ACTOR,
          [signIn(2, 4), { action: 'session.signed_out', schoolId: null, userId: 5 }],
          new Date(),
        );
        const sameSchool = recordAuditEvent(db, dialect, ACTOR, signIn(1, 3));
        try {
          expect(await settledWithin(otherSchool, 3_000)).toBe('committed');
          expect(await settledWithin(otherBatch, 3_000)).toBe('committed');
          expect(await settledWithin(sameSchool, 500)).toBe('waiting');
        } finally {
          release();
          await holder;
          await sameSchool;
        }
        expect(await verifyChain(db)).toMatchObject({ ok: true });
      });
    }
  });
}

async function lastSeq(database: TestDatabase): Promise<number> {
  const { db } = database.handle;
  const last = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where(districtWide('audit-chain'))
    .executeTakeFirstOrThrow();
  return Number(last.seq ?? 0);
}
