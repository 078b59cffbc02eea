export * from './columns.ts';
export * from './create-db.ts';
export * from './database-url.ts';
export * from './dialect.ts';
export * from './enums.ts';
export * from './migrate.ts';
export * from './schema.ts';
export * from './time.ts';
