// A minimal GraphQL-over-HTTP client for tests: real requests to the real server.
import http from "node:http";
import { assertShortIds } from "./id-shape.ts";
import { ADMIN_TOKEN } from "./server.ts";

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, any>;
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    /** A dedicated keep-alive agent makes this client its own set of connections. */
    readonly agent: http.Agent = new http.Agent({ keepAlive: true, maxSockets: 64 }),
    /** Sent as `Authorization: Bearer …`; null sends none. Defaults to the bootstrap admin's token. */
    readonly token: string | null = ADMIN_TOKEN,
  ) {}

  /** The same server, as another identity. */
  as(token: string | null): GraphQLClient {
    return new GraphQLClient(this.url, this.agent, token);
  }

  /** Headers that authenticate as this client (for artifact routes and other raw HTTP). */
  get authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** Sends one operation; returns the whole response (data, errors, extensions). */
  raw<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    const body = JSON.stringify({ query, variables });
    const target = new URL("/graphql", this.url);
    return new Promise((resolve, reject) => {
      const req = http.request(
        target,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(body), ...this.authHeaders, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: GraphQLResponse<T>;
            try {
              parsed = JSON.parse(text) as GraphQLResponse<T>;
            } catch {
              reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
              return;
            }
            try {
              // Every test checks the DESIGN's id rule on everything it reads.
              assertShortIds(parsed.data, ["data"]);
            } catch (error) {
              reject(error);
              return;
            }
            resolve(parsed);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** Sends one operation and returns `data`; top-level errors fail the test. */
  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.raw<T>(query, variables);
    if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Authorization for raw HTTP to this server's artifact routes (`/artifacts/…`); nothing for other URLs
 * (presigned object-storage URLs carry their own signature and must not get a bearer token).
 */
export function artifactAuth(url: string, token: string = ADMIN_TOKEN): Record<string, string> {
  return new URL(url).pathname.startsWith("/artifacts/") ? { authorization: `Bearer ${token}` } : {};
}
