import { describe, expect, it } from 'vitest';
import { isPlainRead } from './replicas.ts';

describe('which statements a replica may serve', () => {
  it('takes plain reads, and leaves locking reads and every write to the primary', () => {
    expect(isPlainRead('select `id` from `students` where `id` = ?')).toBe(true);
    expect(isPlainRead('  (select 1) union (select 2)')).toBe(true);
    expect(isPlainRead('with recent as (select 1) select * from recent')).toBe(true);
    expect(isPlainRead('select * from `alerts` where `id` = ? for update')).toBe(false);
    expect(isPlainRead('select * from `rate_limits` lock in share mode')).toBe(false);
    expect(isPlainRead('insert into `audit_log` select * from `x`')).toBe(false);
    expect(isPlainRead('update `sessions` set `last_seen_at` = ?')).toBe(false);
    expect(isPlainRead('delete from `sessions` where `id_hash` = ?')).toBe(false);
  });
});
