import type { Kysely } from 'kysely';
import { addIndexesTogether, dropIndexesTogether } from './support/ddl.ts';

/**
 * The case list and the alert inbox read their first page in an index's order. ANALYZE on the district seed
 * (docs/PERFORMANCE.md): a school's case list, newest first with no status filter, read all 2,043 of the school's
 * cases through `(school_id, status, created_at)` and sorted them to keep 26; a district admin's read all
 * 100,000; a district admin's inbox of new alerts read all 200,000 alerts to keep 26. Each of these indexes
 * leads with what the list fixes and goes on with its order, the id as the keyset's tie-breaker. The district's
 * two end with the school, so that a page's keys are read from the index alone (paging/keyset.ts sorts ids,
 * keys and school, then joins the rows): without it MariaDB preferred another index that had them, read the
 * whole table through it and sorted (600 cases of the demo seed, to keep 26).
 */
const INDEXES: { table: string; name: string; columns: string[] }[] = [
  { table: 'intervention_cases', name: 'cases_school_created_idx', columns: ['school_id', 'created_at', 'id'] },
  { table: 'intervention_cases', name: 'cases_created_idx', columns: ['created_at', 'id', 'school_id'] },
  { table: 'alerts', name: 'alerts_status_date_idx', columns: ['status', 'alert_date', 'id', 'school_id'] },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of new Set(INDEXES.map((index) => index.table))) {
    await addIndexesTogether(
      db,
      table,
      INDEXES.filter((index) => index.table === table),
    );
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of new Set(INDEXES.map((index) => index.table))) {
    await dropIndexesTogether(
      db,
      table,
      INDEXES.filter((index) => index.table === table).map((index) => index.name),
    );
  }
}
