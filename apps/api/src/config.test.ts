import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults: SQLite, port 4000, a pool of 20 + 10', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      http: { host: '127.0.0.1', port: 4000 },
      database: { url: 'file:./data/pastoral.sqlite', poolSize: 20, poolOverflow: 10, slowQueryMs: 500 },
      logLevel: 'info',
      redisUrl: undefined,
      seedPassword: 'pastoral-demo',
    });
  });

  it('reads and converts every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '8080',
      DATABASE_URL: 'mysql://app:secret@db:3306/pastoral',
      DB_POOL_SIZE: '12',
      DB_POOL_OVERFLOW: '4',
      SLOW_QUERY_MS: '250',
      LOG_LEVEL: 'warn',
      REDIS_URL: 'redis://cache:6379',
      SEED_PASSWORD: 'long-enough',
    });
    expect(config).toMatchObject({
      env: 'production',
      http: { host: '0.0.0.0', port: 8080 },
      database: { url: 'mysql://app:secret@db:3306/pastoral', poolSize: 12, poolOverflow: 4, slowQueryMs: 250 },
      logLevel: 'warn',
      redisUrl: 'redis://cache:6379',
      seedPassword: 'long-enough',
    });
  });

  it('reads read replicas as a comma-separated list of MySQL URLs, and refuses any other', () => {
    const config = loadConfig({
      DATABASE_URL: 'mysql://app:secret@db:3306/pastoral',
      DATABASE_REPLICA_URLS: 'mysql://app:secret@replica-1:3306/pastoral, mysql://app:secret@replica-2:3306/pastoral',
      REPLICA_MAX_LAG_S: '3',
    });
    expect(config.database).toMatchObject({
      replicaUrls: ['mysql://app:secret@replica-1:3306/pastoral', 'mysql://app:secret@replica-2:3306/pastoral'],
      replicaMaxLagMs: 3_000,
    });
    expect(loadConfig({}).database).toMatchObject({ replicaUrls: [], replicaMaxLagMs: 5_000 });
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'file:./replica.sqlite' })).toThrow(
      /DATABASE_REPLICA_URLS: a read replica must be a mysql:\/\/ URL; got file:/,
    );
  });

  it('caps live sessions per user at SESSION_MAX_PER_USER, 10 unless set, and says what it takes', () => {
    expect(loadConfig({}).maxSessionsPerUser).toBe(10);
    expect(loadConfig({ SESSION_MAX_PER_USER: '3' }).maxSessionsPerUser).toBe(3);
    expect(() => loadConfig({ SESSION_MAX_PER_USER: '0' })).toThrow(
      'SESSION_MAX_PER_USER: expected a whole number from 1 to 100 (got "0")',
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(4000);
  });

  it('names every bad variable, what it expects and what it got, in one error', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DB_POOL_SIZE: '0' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'Invalid configuration: PORT: expected a whole number from 0 to 65535 (got "eighty"); ' +
        'DB_POOL_SIZE: expected a whole number from 1 to 500 (got "0"); ' +
        'LOG_LEVEL: expected fatal, error, warn, info, debug, trace or silent (got "loud")',
    );
  });

  it('rejects a DATABASE_URL it cannot use, without echoing it (it may hold a password)', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:hunter2@h/db' })).toThrow(
      'DATABASE_URL: DATABASE_URL scheme "postgres:" is not supported: use mysql://user:password@host:3306/database (add ?socket=/run/mysqld/mysqld.sock for a local server) or file:./data/pastoral.sqlite (got "…")',
    );
  });

  it('rejects a REDIS_URL that is not redis://', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow('REDIS_URL: expected redis://host:port');
  });

  it('reads the rate limits: 600 a minute per session, 1,200 per token, 300 per address; a budget is 1 or more', () => {
    expect(loadConfig({}).rateLimit).toEqual({ windowSeconds: 60, staff: 600, token: 1_200, anonymous: 300 });
    expect(
      loadConfig({
        RATE_LIMIT_WINDOW_S: '10',
        RATE_LIMIT_STAFF: '100',
        RATE_LIMIT_TOKEN: '5000',
        RATE_LIMIT_ANONYMOUS: '20',
      }).rateLimit,
    ).toEqual({ windowSeconds: 10, staff: 100, token: 5_000, anonymous: 20 });
    expect(() => loadConfig({ RATE_LIMIT_STAFF: '0', RATE_LIMIT_WINDOW_S: '1h' })).toThrow(
      'Invalid configuration: RATE_LIMIT_WINDOW_S: expected a whole number from 1 to 3600 (got "1h"); ' +
        'RATE_LIMIT_STAFF: expected a whole number from 1 to 100000000 (got "0")',
    );
  });

  it('takes an audit archival schedule as a cron expression, and none by default', () => {
    expect(loadConfig({}).auditArchive).toEqual({ schedule: undefined, olderThanDays: 90, batchSize: 5_000 });
    expect(
      loadConfig({ AUDIT_ARCHIVE_SCHEDULE: '30 2 * * *', AUDIT_ARCHIVE_AFTER_DAYS: '60', AUDIT_ARCHIVE_BATCH: '1000' })
        .auditArchive,
    ).toEqual({ schedule: '30 2 * * *', olderThanDays: 60, batchSize: 1_000 });
    expect(() => loadConfig({ AUDIT_ARCHIVE_SCHEDULE: 'nightly' })).toThrow(
      'AUDIT_ARCHIVE_SCHEDULE: expected a cron expression (minute hour day month weekday), such as "0 2 * * *" for 02:00 daily (got "nightly")',
    );
    expect(() => loadConfig({ AUDIT_ARCHIVE_AFTER_DAYS: '0' })).toThrow(
      'AUDIT_ARCHIVE_AFTER_DAYS: expected a whole number',
    );
  });
});
