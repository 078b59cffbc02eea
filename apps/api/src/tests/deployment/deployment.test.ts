/**
 * docker-compose.yml and the Dockerfile cannot run on machines without a Docker engine, so what can be checked
 * without one is checked here: the services and their order, health checks, and that every variable and
 * command they pass to the API is one the API knows.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../cli.ts';
import { CONFIG_VARIABLES, loadConfig } from '../../config.ts';

const root = new URL('../../../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      profiles?: string[];
      command?: string[];
      volumes?: string[];
      environment?: Record<string, string | null>;
      healthcheck?: { test?: unknown; disable?: boolean };
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const cliCommands = buildCli().commands.map((command) => command.name());

describe('docker-compose.yml', () => {
  const { services } = compose;

  it('runs MySQL 8.4 with LOAD DATA LOCAL INFILE allowed and a collation MariaDB shares', () => {
    expect(services.mysql?.image).toBe('mysql:8.4');
    expect(services.mysql?.command).toEqual(
      expect.arrayContaining(['--local-infile=1', '--collation-server=utf8mb4_unicode_520_ci']),
    );
  });

  it('migrates before the API starts, once MySQL is healthy, and health-checks every long-running service', () => {
    expect(services.migrate?.depends_on?.mysql?.condition).toBe('service_healthy');
    expect(services.api?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(services.api?.depends_on?.redis?.condition).toBe('service_healthy');
    for (const name of ['mysql', 'redis', 'api']) expect(services[name]?.healthcheck?.test, name).toBeDefined();
  });

  it('passes the API only commands and variables it knows, with values its configuration accepts', () => {
    for (const name of ['migrate', 'api']) {
      const service = services[name]!;
      expect(service.command?.slice(0, 2)).toEqual(['node', 'apps/api/dist/cli.js']);
      expect(cliCommands).toContain(service.command?.[2]);
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, value ?? '']),
      );
      const config = loadConfig(environment);
      expect(config.database.url).toBe('mysql://pastoral:pastoral@mysql:3306/pastoral');
      expect(config.redisUrl).toBe('redis://redis:6379');
      for (const variable of Object.keys(environment)) expect(CONFIG_VARIABLES, variable).toContain(variable);
    }
  });
});

describe("docker-compose.yml's scale profile", () => {
  const { services } = compose;
  const scaled = Object.entries(services).filter(([, service]) => service.profiles?.includes('scale'));

  it('adds a MySQL 8.4 replica following the primary by GTID, two API containers and a proxy, and nothing else', () => {
    expect(scaled.map(([name]) => name).sort()).toEqual(['api-a', 'api-b', 'mysql-replica', 'proxy', 'replica-setup']);
    expect(services['mysql-replica']?.image).toBe('mysql:8.4');
    for (const name of ['mysql', 'mysql-replica']) {
      expect(services[name]?.command).toEqual(
        expect.arrayContaining(['--gtid-mode=ON', '--enforce-gtid-consistency=ON']),
      );
    }
    expect(services['mysql-replica']?.command).toContain('--server-id=2');
  });

  it('gives both API containers the primary, the replica and Redis, in variables the API accepts', () => {
    for (const name of ['api-a', 'api-b']) {
      const service = services[name]!;
      expect(cliCommands).toContain(service.command?.[2]);
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, value ?? '']),
      );
      for (const variable of Object.keys(environment)) expect(CONFIG_VARIABLES, variable).toContain(variable);
      const config = loadConfig(environment);
      expect(config.database.replicaUrls).toEqual(['mysql://pastoral:pastoral@mysql-replica:3306/pastoral']);
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(config.trustProxy).toBe(true);
      expect(service.depends_on?.['replica-setup']?.condition).toBe('service_completed_successfully');
    }
  });

  it('balances the proxy over exactly the two API containers', () => {
    const mount = services.proxy?.volumes?.[0] ?? '';
    const file = mount.split(':')[0]!;
    const config = readFileSync(new URL(file, root), 'utf8');
    const upstreams = [...config.matchAll(/^\s*server\s+([\w-]+):4000/gm)].map((match) => match[1]);
    expect(upstreams).toEqual(['api-a', 'api-b']);
  });
});

describe('Dockerfile', () => {
  it('installs the pinned pnpm, builds, and runs a known command as an unprivileged user', () => {
    const packageManager = (
      JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { packageManager: string }
    ).packageManager;
    expect(dockerfile).toContain(`npm install -g ${packageManager}`);
    expect(dockerfile).toContain('RUN pnpm install --frozen-lockfile');
    expect(dockerfile).toContain('RUN pnpm build');
    expect(dockerfile).toMatch(/^USER node$/m);
    const command = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(command).toBeDefined();
    const [, script, name] = JSON.parse(command!) as string[];
    expect(script).toBe('apps/api/dist/cli.js');
    expect(cliCommands).toContain(name);
  });
});
