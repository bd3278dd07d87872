// What every scenario of `pnpm bench` gets from bench/suite.ts, and what it gives back (one table row).
import type pg from "pg";
import type { Proc } from "../harness.ts";
import type { Seeded } from "../seed.ts";

export interface Ctx {
  /** Our server, started on the seeded database, pinned to core 0. */
  ours: Proc;
  /** Token of the bench user (EDITOR on every seeded project, not an instance admin). */
  token: string;
  databaseUrl: string;
  dbName: string;
  /** Connection to the `postgres` database (statistics). */
  admin: pg.Client;
  /** Connection to the bench database (checks). */
  db: pg.Client;
  seeded: Seeded;
  /** Seconds of each measured run. */
  duration: number;
  /** Concurrent connections of the throughput runs. */
  connections: number;
  log: (message: string) => void;
}

export interface Row {
  scenario: string;
  ours: string;
  peer: string;
  /** The figure compared with the goal. */
  ratio: number;
  goal: string;
  met: boolean;
  notes: string[];
}
