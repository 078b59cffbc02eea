/**
 * Races through the API (issue #8): many requests changing one case at once. Each update either applies or is
 * refused as STALE_VERSION, none is lost, the audit log holds exactly one entry per applied change, and
 * concurrent retries under one idempotency key open exactly one case.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

const UPDATE = `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id version title } userErrors { code message } } }`;
const READ = `query ($id: ID!) { node(id: $id) { ... on InterventionCase { version title } } }`;

type Updated = {
  updateCase: { case: { version: number; title: string } | null; userErrors: { code: string; message: string }[] };
};
type Read = { node: { version: number; title: string } };

describe.each(testEngines())('concurrent changes to one case on $name', (engine) => {
  let api: ApiHarness;
  let cookie: string;
  let caseId: string;
  beforeAll(async () => {
    // 1,000 requests at once are more than the pool's default queue takes (they would be shed with 503s, which
    // the pool-exhaustion test covers): here every one must reach the database and race.
    api = await startApiHarness(engine, { pool: { maxWaiting: 2_000, acquireTimeoutMs: 30_000 } });
    // A case of the form master's own: a form master changes only the cases they own.
    cookie = await api.signIn('form.master@s01.pastoral.example');
    const cases = await api.graphql<{ cases: { nodes: { id: string }[] } }>(
      '{ cases(first: 1, filter: { status: [OPEN, IN_PROGRESS, MONITORING], assignedToMe: true }) { nodes { id } } }',
      {},
      cookie,
    );
    caseId = cases.body.data!.cases.nodes[0]!.id;
  });
  afterAll(() => api.close());

  const read = async () => (await api.graphql<Read>(READ, { id: caseId }, cookie)).body.data!.node;
  const auditedUpdates = async () =>
    Number(
      (
        await api.database.handle.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('action', '=', 'case.updated')
          .where('entity_type', '=', 'case')
          .where('entity_id', '=', fromGlobalId(caseId)!.key.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('applies exactly one of 1,000 updates sent at once from the same version, and audits that one', async () => {
    const before = await read();
    const auditedBefore = await auditedUpdates();
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) =>
        api.graphql<Updated>(
          UPDATE,
          { input: { id: caseId, expectedVersion: before.version, title: `Attempt ${index}` } },
          cookie,
        ),
      ),
    );
    const applied = responses.filter((response) => response.body.data?.updateCase.case);
    const stale = responses.filter(
      (response) => response.body.data?.updateCase.userErrors[0]?.code === 'STALE_VERSION',
    );
    expect(responses.every((response) => response.status === 200 && !response.body.errors)).toBe(true);
    expect(applied).toHaveLength(1);
    expect(stale).toHaveLength(999);
    const after = await read();
    expect(after).toEqual({ version: before.version + 1, title: applied[0]!.body.data!.updateCase.case!.title });
    expect(await auditedUpdates()).toBe(auditedBefore + 1);
  });

  it('loses none of 25 read-modify-write updates that retry on STALE_VERSION', async () => {
    const before = await read();
    const auditedBefore = await auditedUpdates();
    const writers = 25;
    let staleRetries = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (;;) {
          const current = await read();
          const response = await api.graphql<Updated>(
            UPDATE,
            { input: { id: caseId, expectedVersion: current.version, title: `${current.title},${writer}` } },
            cookie,
          );
          const payload = response.body.data!.updateCase;
          if (payload.case) return;
          expect(payload.userErrors[0]?.code).toBe('STALE_VERSION');
          staleRetries += 1;
        }
      }),
    );
    const after = await read();
    expect(after.version).toBe(before.version + writers);
    const added = after.title.slice(before.title.length).split(',').filter(Boolean).map(Number);
    expect(added.sort((a, b) => a - b)).toEqual(Array.from({ length: writers }, (_, writer) => writer));
    expect(await auditedUpdates()).toBe(auditedBefore + writers);
    // The writers really did collide: otherwise this proves nothing about races.
    expect(staleRetries).toBeGreaterThan(0);
  });

  it('opens one case for 50 concurrent retries under one idempotency key', async () => {
    const students = await api.graphql<{ students: { nodes: { id: string }[] } }>(
      '{ students(first: 1) { nodes { id } } }',
      {},
      cookie,
    );
    const input = {
      studentId: students.body.data!.students.nodes[0]!.id,
      title: 'Attendance plan',
      category: 'ATTENDANCE',
      idempotencyKey: `races-${engine.name}`,
    };
    const countCases = async () =>
      Number(
        (
          await api.database.handle.db
            .selectFrom('intervention_cases')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await countCases();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        api.graphql<{ openCase: { case: { id: string } | null; userErrors: unknown[] } }>(
          'mutation ($input: OpenCaseInput!) { openCase(input: $input) { case { id } userErrors { code } } }',
          { input },
          cookie,
        ),
      ),
    );
    const ids = new Set(responses.map((response) => response.body.data?.openCase.case?.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBeTruthy();
    expect(await countCases()).toBe(before + 1);
  });
});
