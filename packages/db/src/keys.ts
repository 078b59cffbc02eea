import { createHash } from 'node:crypto';

/**
 * The longest string key a table keys on (`rate_limits.rate_key`, `audit_summaries.summary_key`): 191 characters
 * of utf8mb4 is the most an InnoDB index key takes on every supported server.
 */
export const KEY_LENGTH = 191;

/**
 * A key that fits KEY_LENGTH: itself when it does, otherwise its start and the SHA-256 of the whole, so that two
 * long keys sharing a start stay apart (cutting them short would count one's events against the other).
 */
export function fitKey(key: string): string {
  if (key.length <= KEY_LENGTH) return key;
  const digest = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, KEY_LENGTH - digest.length - 1)}#${digest}`;
}
