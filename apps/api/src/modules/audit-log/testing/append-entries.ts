/**
 * A separate writer process for the concurrent-writers test: appends `count` audit entries, one transaction
 * each, to the database at `url`, as an API process would.
 * Usage: tsx append-entries.ts <database-url> <count> <writer-number>
 */
import { createDb } from '@pastoral/db';
import { appendAuditEntry } from '../audit.writer.ts';

const [url, countText, writerText] = process.argv.slice(2);
if (url === undefined || countText === undefined || writerText === undefined) {
  throw new Error('usage: append-entries.ts <database-url> <count> <writer-number>');
}
const handle = createDb(url);
try {
  for (let index = 0; index < Number(countText); index++) {
    await handle.db
      .transaction()
      .execute((trx) =>
        appendAuditEntry(
          trx,
          handle.dialect,
          { type: 'ANONYMOUS', userId: null, apiTokenId: null, requestId: `writer-${writerText}-${index}`, ip: null },
          { action: 'session.sign_in_failed', schoolId: null, userId: null, reason: 'wrong_credentials' },
        ),
      );
  }
} finally {
  await handle.destroy();
}
