import type { Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';

/** The cheapest statement a database can answer: it proves the connection and the server's attention. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
