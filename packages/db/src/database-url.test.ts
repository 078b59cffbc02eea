import { describe, expect, it } from 'vitest';
import { DatabaseUrlError, parseDatabaseUrl, redact, withDatabase } from './database-url.ts';

describe('DATABASE_URL', () => {
  it('reads a MySQL URL, decoding the user and password', () => {
    expect(parseDatabaseUrl('mysql://app%40x:p%40ss@db.internal:3307/pastoral')).toEqual({
      engine: 'mysql',
      host: 'db.internal',
      port: 3307,
      user: 'app@x',
      password: 'p@ss',
      database: 'pastoral',
      socketPath: null,
    });
  });

  it('connects through a Unix socket when ?socket= names one, and refuses other options', () => {
    expect(parseDatabaseUrl('mysql://root@localhost/pastoral?socket=/run/mysqld/mysqld.sock')).toMatchObject({
      database: 'pastoral',
      socketPath: '/run/mysqld/mysqld.sock',
    });
    expect(() => parseDatabaseUrl('mysql://root@localhost/pastoral?socket=mysqld.sock')).toThrow(/absolute path/);
    expect(() => parseDatabaseUrl('mysql://root@localhost/pastoral?ssl=true')).toThrow(/"ssl" is not supported/);
  });

  it('defaults the port, user and host of a MySQL URL', () => {
    expect(parseDatabaseUrl('mysql://db/pastoral')).toMatchObject({ port: 3306, user: 'root', password: '' });
  });

  it('reads SQLite file URLs, relative and absolute', () => {
    expect(parseDatabaseUrl('file:./data/pastoral.sqlite')).toEqual({
      engine: 'sqlite',
      path: './data/pastoral.sqlite',
    });
    expect(parseDatabaseUrl('file:///var/lib/pastoral.sqlite')).toEqual({
      engine: 'sqlite',
      path: '/var/lib/pastoral.sqlite',
    });
  });

  it.each([
    ['postgres://u@h/db', 'scheme "postgres:" is not supported'],
    ['mysql://u@h', 'names no database'],
    ['mysql://u@h/', 'names no database'],
    ['not a url', 'is not a URL'],
    ['file:', 'names no file'],
  ])('refuses %s: %s', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(DatabaseUrlError);
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  it('never shows a password in messages', () => {
    expect(redact('mysql://app:hunter2@db:3306/x')).toBe('mysql://app:***@db:3306/x');
    expect(() => parseDatabaseUrl('mysql://app:hunter2@db')).toThrow('mysql://app:***@db');
  });

  it('switches the database of a server URL', () => {
    expect(withDatabase('mysql://root@127.0.0.1:3306/test', 'other')).toBe('mysql://root@127.0.0.1:3306/other');
  });
});
