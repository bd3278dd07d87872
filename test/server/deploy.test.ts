// The deployment files (docker-compose.yml, deploy/nginx.conf, Dockerfile) against the server itself: every
// variable given to a replica is one the configuration loader reads and accepts, the topology is complete (two
// replicas on PostgreSQL, S3 and Redis, behind the proxy), and the proxy and health checks fit the server's routes.
// No Docker engine is needed: the files are parsed, and the replicas' environment goes through loadConfig.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_VARIABLES, loadConfig } from "../../server/src/config.ts";
import { dbKind } from "../support/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: string[];
  ports?: string[];
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const nginx = read("deploy/nginx.conf")
  .split("\n")
  .map((line) => line.replace(/#.*$/, ""))
  .join("\n");

/** `${VAR:-default}` as compose resolves it when VAR is unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_all, _name: string, fallback?: string) => fallback ?? "");
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(String(v ?? ""))]));
}

function dependencies(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, undefined])) : Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v?.condition]));
}

/** Compose durations: "35s", "1m30s", "500ms". */
function seconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as "ms" | "s" | "m" | "h"];
  return total;
}

/** The modelgraph replicas: the services built from this repository. */
const replicas = Object.entries(services).filter(([, s]) => s.build !== undefined);

describe.runIf(dbKind === "pglite")("deployment files", () => {
  it("runs two modelgraph replicas", () => {
    expect(replicas.map(([name]) => name).sort()).toEqual(["modelgraph-1", "modelgraph-2"]);
  });

  it.each(replicas.map(([name]) => name))("%s: every variable is one the server reads, and the configuration loads", (name) => {
    const env = environmentOf(services[name]!);
    const unknown = Object.keys(env).filter((key) => !CONFIG_VARIABLES.includes(key));
    expect(unknown, `variables the server does not read (typo?)`).toEqual([]);
    // The topology: PostgreSQL, S3-compatible storage, Redis event bus.
    for (const required of ["DATABASE_URL", "S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY", "REDIS_URL"]) {
      expect(env[required], required).toBeTruthy();
    }
    const config = loadConfig(env); // throws, naming the variable, on any invalid value
    expect(config.databaseUrl).toBeDefined();
    expect(config.s3).toBeDefined();
    expect(config.redisUrl).toBeDefined();
    // Each points at a service of this file.
    expect(Object.keys(services)).toContain(new URL(config.databaseUrl!).hostname);
    expect(Object.keys(services)).toContain(new URL(config.s3!.endpoint).hostname);
    expect(Object.keys(services)).toContain(new URL(config.redisUrl!).hostname);
    // MinIO's credentials are the ones the replicas use.
    const minio = environmentOf(services[new URL(config.s3!.endpoint).hostname]!);
    expect([minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]).toEqual([config.s3!.accessKey, config.s3!.secretKey]);
  });

  it.each(replicas.map(([name]) => name))("%s: ready when /readyz says so, waits for its dependencies, stops gracefully", (name) => {
    const service = services[name]!;
    const config = loadConfig(environmentOf(service));
    const probe = [service.healthcheck?.test ?? []].flat().join(" ");
    expect(probe).toContain(`:${config.port}/readyz`);
    // The grace period covers the server's own shutdown timeout, with a margin, before SIGKILL.
    expect(seconds(service.stop_grace_period ?? "10s")).toBeGreaterThan(config.shutdownTimeoutSeconds);
    const deps = dependencies(service);
    for (const dep of ["postgres", "minio", "redis"]) expect(deps, dep).toHaveProperty(dep);
    expect(deps.postgres).toBe("service_healthy");
  });

  it("puts nginx in front of both replicas", () => {
    const proxy = Object.entries(services).find(([, s]) => s.image?.startsWith("nginx"));
    expect(proxy, "an nginx service").toBeDefined();
    const [, service] = proxy!;
    expect(service.volumes?.some((v) => v.startsWith("./deploy/nginx.conf:"))).toBe(true);
    expect(Object.keys(dependencies(service)).sort()).toEqual(replicas.map(([name]) => name).sort());
    expect(Object.values(dependencies(service)).every((condition) => condition === "service_healthy")).toBe(true);

    // The upstream lists exactly the replicas, on the port they listen on, and the proxy sends requests to it.
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(nginx);
    expect(upstream, "an upstream block").not.toBeNull();
    const servers = [...upstream![2]!.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]).sort();
    expect(servers).toEqual(replicas.map(([name]) => `${name}:${loadConfig(environmentOf(services[name]!)).port}`).sort());
    expect(nginx).toMatch(new RegExp(`proxy_pass\\s+http://${upstream![1]};`));
    const published = service.ports?.map((p) => p.split(":").at(-1)) ?? [];
    expect(published.some((port) => new RegExp(`listen\\s+${port}\\b`).test(nginx))).toBe(true);
  });

  it("nginx passes WebSocket upgrades (graphql-ws) and streams SSE and artifacts without buffering", () => {
    expect(nginx).toMatch(/proxy_http_version\s+1\.1;/);
    expect(nginx).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    const connection = /proxy_set_header\s+Connection\s+(\$\w+);/.exec(nginx)?.[1];
    expect(connection, "Connection header from a map of $http_upgrade").toBeDefined();
    expect(nginx).toMatch(new RegExp(`map\\s+\\$http_upgrade\\s+\\${connection}\\s*\\{[^}]*default\\s+upgrade;`));
    expect(nginx).toMatch(/proxy_buffering\s+off;/);
    expect(nginx).toMatch(/proxy_request_buffering\s+off;/);
    expect(nginx).toMatch(/client_max_body_size\s+0;/);
    const readTimeout = /proxy_read_timeout\s+(\d+)([smh]?);/.exec(nginx);
    expect(readTimeout).not.toBeNull();
    expect(Number(readTimeout![1]) * { "": 1, s: 1, m: 60, h: 3600 }[readTimeout![2] as "" | "s" | "m" | "h"]).toBeGreaterThanOrEqual(60);
    // The request id reaches the replicas; metrics are not published through the proxy.
    expect(nginx).toMatch(/proxy_set_header\s+X-Request-Id\s+\$\w+;/);
    expect(nginx).toMatch(/location\s+=\s+\/metrics\s*\{\s*return\s+404;/);
  });

  it("the image runs the server entry point, probes /readyz and stops on SIGTERM", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/^CMD \[.*"server\/src\/main\.ts"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    // Every ENV variable of the image is one the server reads.
    const env = /^ENV (.+)$/m.exec(dockerfile)![1]!;
    const names = [...env.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]!).filter((n) => n !== "NODE_ENV");
    expect(names.filter((n) => !CONFIG_VARIABLES.includes(n))).toEqual([]);
    expect(fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8")).toMatch(/node_modules/);
  });
});
