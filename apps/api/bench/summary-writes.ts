/**
 * What keeping the summary rows costs a write (issue 21: no more than 15% slower), measured beside the same
 * writes with the summary triggers dropped, in the same run, through the same API process:
 *  - acknowledging an alert (its status moves between two summary rows, twice: school and assignee), and
 *  - rescheduling a case's review (its review day, month and year rows move).
 * The triggers are dropped and created again from their own definitions (SHOW CREATE TRIGGER), and the summaries
 * of the school the baseline wrote in are counted afresh; the alerts acknowledged go back to NEW after each
 * phase, so both phases, and every run, triage the same alerts.
 */
import { toDateOnly } from '@pastoral/db';
import type { Connection, RowDataPacket } from 'mysql2';
import { toGlobalId } from '../src/graphql/relay.ts';
import { measure } from './counters.ts';
import { type LatencySummary, postOrThrow } from './measure.ts';

export const SUMMARY_WRITES_WARM_UP = 10;
export const SUMMARY_WRITES_TIMED = 150;
/** The write's p50 with the summaries kept, against its p50 without them. */
export const SUMMARY_WRITE_TARGET = 1.15;

export interface SummaryWriteTiming {
  name: string;
  withSummaries: LatencySummary;
  withoutSummaries: LatencySummary;
  statements: number;
}

interface Write {
  name: string;
  /** One write, different from the last. */
  send: () => Promise<unknown>;
}

const ACKNOWLEDGE = `mutation ($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) { alert { status } userErrors { message } } }`;
const UPDATE_CASE = `mutation ($input: UpdateCaseInput!) {
  updateCase(input: $input) { case { version } userErrors { message } } }`;

function refusedBy(answer: unknown, field: string): string | null {
  const errors = (answer as { data: Record<string, { userErrors: { message: string }[] }> }).data[field]!.userErrors;
  return errors.length > 0 ? `${field}: ${errors.map((error) => error.message).join('; ')}` : null;
}

/**
 * The writes, and `putBack`, which returns the alerts acknowledged so far to NEW (acknowledging set only the
 * columns it clears: markAlertsAcknowledged; the alerts keep their owners), so each phase triages the same ones.
 */
async function writesOf(
  graphqlUrl: string,
  raw: Connection,
  leadCookie: string,
  schoolId: number,
): Promise<{ writes: Write[]; putBack: () => Promise<void> }> {
  const headers = { cookie: leadCookie };
  const [alerts] = await raw
    .promise()
    .query<RowDataPacket[]>("select id from alerts where school_id = ? and status = 'NEW' order by id limit ?", [
      schoolId,
      SUMMARY_WRITES_WARM_UP + SUMMARY_WRITES_TIMED,
    ]);
  if (alerts.length < SUMMARY_WRITES_WARM_UP + SUMMARY_WRITES_TIMED)
    throw new Error(`school ${schoolId} has only ${alerts.length} new alerts`);
  let nextAlert = 0;
  const [[kase]] = await raw
    .promise()
    .query<RowDataPacket[]>(
      "select id, version from intervention_cases where school_id = ? and status = 'OPEN' order by id limit 1",
      [schoolId],
    );
  if (!kase) throw new Error(`school ${schoolId} has no open case`);
  let version = Number(kase.version);
  let reschedules = 0;
  const writes: Write[] = [
    {
      name: 'acknowledge an alert',
      send: async () => {
        const alertId = toGlobalId('Alert', { schoolId, id: Number(alerts[nextAlert++]!.id) });
        const answer = await postOrThrow(
          graphqlUrl,
          { query: ACKNOWLEDGE, variables: { input: { alertId } } },
          headers,
        );
        const refused = refusedBy(answer, 'acknowledgeAlert');
        if (refused) throw new Error(refused);
      },
    },
    {
      name: "reschedule a case's review",
      send: async () => {
        reschedules += 1;
        // A day in each of the next 300: its day, month and (some of the time) year rows move on every write.
        const nextReviewAt = toDateOnly(new Date(Date.now() + (1 + (reschedules % 300)) * 86_400_000));
        const id = toGlobalId('InterventionCase', { schoolId, id: Number(kase.id) });
        const answer = (await postOrThrow(
          graphqlUrl,
          { query: UPDATE_CASE, variables: { input: { id, expectedVersion: version, nextReviewAt } } },
          headers,
        )) as { data: { updateCase: { case: { version: number } | null } } };
        const refused = refusedBy(answer, 'updateCase');
        if (refused) throw new Error(refused);
        version = answer.data.updateCase.case!.version;
      },
    },
  ];
  const putBack = async () => {
    const acknowledged = alerts.slice(0, nextAlert).map((row) => Number(row.id));
    nextAlert = 0;
    if (acknowledged.length === 0) return;
    await raw
      .promise()
      .query("update alerts set status = 'NEW', acknowledged_at = null, acknowledged_by = null where id in (?)", [
        acknowledged,
      ]);
  };
  return { writes, putBack };
}

/** Drops the summary triggers and gives back what creates them again. */
async function dropSummaryTriggers(raw: Connection): Promise<string[]> {
  const db = raw.promise();
  const [triggers] = await db.query<RowDataPacket[]>(
    "select trigger_name as name from information_schema.triggers where trigger_schema = database() and trigger_name like 'summary\\_%'",
  );
  if (triggers.length === 0) throw new Error('the database has no summary triggers: migrate it first');
  const definitions: string[] = [];
  for (const { name } of triggers) {
    const [[shown]] = await db.query<RowDataPacket[]>(`show create trigger \`${name}\``);
    definitions.push(String(shown!['SQL Original Statement']));
    await db.query(`drop trigger \`${name}\``);
  }
  return definitions;
}

export async function benchSummaryWrites(options: {
  graphqlUrl: string;
  raw: Connection;
  leadCookie: string;
  schoolId: number;
  /** Counts the school's summaries afresh (the baseline's writes went uncounted). */
  rebuild: () => Promise<unknown>;
}): Promise<SummaryWriteTiming[]> {
  const { graphqlUrl, raw, leadCookie, schoolId } = options;
  const { writes, putBack } = await writesOf(graphqlUrl, raw, leadCookie, schoolId);
  const without = new Map<string, LatencySummary>();
  const definitions = await dropSummaryTriggers(raw);
  try {
    for (const write of writes)
      without.set(write.name, (await measure(raw, write.send, SUMMARY_WRITES_WARM_UP, SUMMARY_WRITES_TIMED)).latency);
  } finally {
    await putBack();
    for (const definition of definitions) await raw.promise().query(definition);
    await options.rebuild();
  }
  const timings: SummaryWriteTiming[] = [];
  for (const write of writes) {
    const measured = await measure(raw, write.send, SUMMARY_WRITES_WARM_UP, SUMMARY_WRITES_TIMED);
    timings.push({
      name: write.name,
      withSummaries: measured.latency,
      withoutSummaries: without.get(write.name)!,
      statements: measured.statements,
    });
  }
  // Back to NEW for the next run, with the triggers in place: the summaries follow.
  await putBack();
  return timings;
}
