import { AsyncLocalStorage } from "node:async_hooks";
import { ColumnTypeEnum, type ArgType, type ColumnType, type SqlDriverAdapter, type SqlDriverAdapterFactory, type SqlQuery, type SqlResultSet, type Transaction } from "@prisma/driver-adapter-utils";
import { Prisma } from "../generated/prisma/client.ts";

/**
 * The driver's side of our transactions. Prisma's interactive transaction runs each statement through its query
 * interpreter and, after `work`, through its transaction manager before COMMIT is sent: for our raw statements (all
 * of a registration's and a promotion's) that was about a fifth of the server's CPU per write (bench/RESULTS.md,
 * session 8), spent while the model's row lock is held. So the adapter is wrapped: the transaction Prisma opens for a `transaction()` call is
 * handed to that call (through async context), which sends the raw statements of its work (`rawOnDriver`) and its
 * last statement on it directly, and COMMIT as soon as that returns; Prisma's own COMMIT (or phantom commit) then
 * completes without a round trip.
 *
 * The wrapper also counts every statement sent (`onStatement`), Prisma's and the helper's, as the database's
 * statement count (db/database.ts).
 */
export interface DriverTransaction {
  /** Runs a statement on the transaction's own connection, past Prisma's interpreter. */
  query(query: SqlQuery): Promise<SqlResultSet>;
  /** The same, returning the number of rows it changed. */
  execute(query: SqlQuery): Promise<number>;
  /** Sends COMMIT now; Prisma's commit that follows only waits for it. */
  commitNow(): Promise<void>;
}

/** The transaction Prisma opened inside a `withDriverTransaction` scope (set once its BEGIN has returned). */
interface Slot {
  transaction?: TrackedTransaction;
}

const scope = new AsyncLocalStorage<Slot>();

/**
 * Runs `open` (which opens one Prisma interactive transaction) and hands it the driver's transaction, once opened
 * (undefined if the adapter is not wrapped by `trackTransactions`).
 */
export function withDriverTransaction<T>(open: (driver: () => DriverTransaction | undefined) => Promise<T>): Promise<T> {
  const slot: Slot = {};
  return scope.run(slot, () => open(() => slot.transaction));
}

/** Wraps a driver adapter factory so that transactions are handed to `withDriverTransaction` and statements counted. */
export function trackTransactions(factory: SqlDriverAdapterFactory, onStatement: (sql: string) => void): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => trackAdapter(await factory.connect(), onStatement),
  };
}

function trackAdapter(adapter: SqlDriverAdapter, onStatement: (sql: string) => void): SqlDriverAdapter {
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => {
      onStatement(query.sql);
      return adapter.queryRaw(query);
    },
    executeRaw: (query) => {
      onStatement(query.sql);
      return adapter.executeRaw(query);
    },
    executeScript: (script) => adapter.executeScript(script),
    getConnectionInfo: adapter.getConnectionInfo && (() => adapter.getConnectionInfo!()),
    dispose: () => adapter.dispose(),
    startTransaction: async (isolationLevel) => {
      const slot = scope.getStore();
      const transaction = new TrackedTransaction(await adapter.startTransaction(isolationLevel), onStatement);
      // Only the outermost transaction of a scope; a transaction started elsewhere in the same async context
      // (none today) keeps Prisma's path.
      if (slot && !slot.transaction) slot.transaction = transaction;
      return transaction;
    },
  };
}

const COMMIT: SqlQuery = { sql: "COMMIT", args: [], argTypes: [] };

class TrackedTransaction implements Transaction, DriverTransaction {
  readonly provider: Transaction["provider"];
  readonly adapterName: string;
  readonly options: Transaction["options"];
  /** Set once COMMIT was sent (with a phantom query: once the driver's transaction was told to commit). */
  private committed: Promise<void> | undefined;

  constructor(
    private readonly inner: Transaction,
    private readonly onStatement: (sql: string) => void,
  ) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    this.options = inner.options;
  }

  query(query: SqlQuery): Promise<SqlResultSet> {
    return this.queryRaw(query);
  }

  execute(query: SqlQuery): Promise<number> {
    return this.executeRaw(query);
  }

  commitNow(): Promise<void> {
    if (!this.committed) {
      this.onStatement(COMMIT.sql);
      this.committed = this.options.usePhantomQuery ? this.inner.commit() : this.inner.executeRaw(COMMIT).then(() => undefined);
    }
    return this.committed;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    this.onStatement(query.sql);
    return this.inner.queryRaw(query);
  }

  async executeRaw(query: SqlQuery): Promise<number> {
    if (!this.options.usePhantomQuery) {
      // Prisma's COMMIT is ours, if sent already; its ROLLBACK after ours failed has no transaction left to end.
      if (query.sql === COMMIT.sql) return this.commitNow().then(() => 0);
      if (query.sql === "ROLLBACK" && this.committed) return this.committed.then(() => 0, () => 0);
    }
    this.onStatement(query.sql);
    return this.inner.executeRaw(query);
  }

  /** Prisma's commit: with a phantom query it is the COMMIT; without, it releases the connection after it. */
  commit(): Promise<void> {
    return this.options.usePhantomQuery ? this.commitNow() : this.inner.commit();
  }

  async rollback(): Promise<void> {
    if (this.options.usePhantomQuery) {
      // After our commit (which failed, or Prisma would not roll back) the driver's transaction has ended already.
      if (this.committed) return this.committed.catch(() => {});
      this.onStatement("ROLLBACK");
    }
    return this.inner.rollback();
  }

  createSavepoint(name: string): Promise<void> {
    return this.inner.createSavepoint!(name);
  }

  rollbackToSavepoint(name: string): Promise<void> {
    return this.inner.rollbackToSavepoint!(name);
  }

  releaseSavepoint(name: string): Promise<void> {
    return this.inner.releaseSavepoint?.(name) ?? Promise.resolve();
  }
}

/**
 * The transaction client `tx` with its `$queryRaw` and `$executeRaw` sent on the driver's transaction: the same
 * statement on the same connection, without Prisma's query interpreter; results, parameters and errors as Prisma's
 * own (`rowsOf`, `argOf`, `prismaError`). Everything else (the model API) is Prisma's, on the same transaction.
 */
export function rawOnDriver<T extends object>(tx: T, driver: DriverTransaction): T {
  const statement = (first: TemplateStringsArray | Prisma.Sql, values: unknown[]) => driverQuery(first instanceof Prisma.Sql ? first : Prisma.sql(first, ...values));
  const queryRaw = (first: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => driver.query(statement(first, values)).then(rowsOf, prismaError);
  const executeRaw = (first: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => driver.execute(statement(first, values)).catch(prismaError);
  return new Proxy(tx, {
    get: (target, property) => (property === "$queryRaw" ? queryRaw : property === "$executeRaw" ? executeRaw : Reflect.get(target, property)),
  });
}

/** A statement built with Prisma.sql, as the driver takes it. */
export function driverQuery(sql: Prisma.Sql): SqlQuery {
  const args = sql.values.map(argOf);
  return { sql: sql.text, args: args.map((a) => a.value), argTypes: args.map((a) => a.type) };
}

/** A bound value as Prisma's raw queries hand it to the driver (dates, big integers and decimals typed; JSON as is). */
function argOf(value: unknown): { value: unknown; type: ArgType } {
  if (Array.isArray(value)) return { value: value.map((v) => argOf(v).value), type: { scalarType: value.length > 0 ? argOf(value[0]).type.scalarType : "unknown", arity: "list" } };
  const scalar = (scalarType: ArgType["scalarType"], v: unknown = value) => ({ value: v, type: { scalarType, arity: "scalar" as const } });
  if (value instanceof Date) return scalar("datetime");
  if (typeof value === "bigint") return scalar("bigint", value.toString());
  if (Prisma.Decimal.isDecimal(value)) return scalar("decimal", (value as Prisma.Decimal).toJSON());
  if (typeof value === "number") return scalar(Number.isInteger(value) ? "int" : "float");
  if (typeof value === "boolean") return scalar("boolean");
  if (typeof value === "string") return scalar("string");
  return scalar("unknown");
}

/** The rows of a driver result as Prisma's `$queryRaw` returns them (its serialisation, then deserialisation, by column type). */
function rowsOf(result: SqlResultSet): Record<string, unknown>[] {
  const { columnNames, columnTypes } = result;
  return result.rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) row[columnNames[i]!] = valueOf(values[i], columnTypes[i]!);
    return row;
  });
}

function valueOf(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  const each = (element: ColumnType) => (value as unknown[]).map((v) => valueOf(v, element));
  switch (type) {
    case ColumnTypeEnum.Int32:
      return Math.trunc(Number(value));
    case ColumnTypeEnum.Int64:
      return BigInt(typeof value === "number" ? Math.trunc(value) : (value as string));
    case ColumnTypeEnum.Numeric:
      return new Prisma.Decimal(value as string);
    case ColumnTypeEnum.Boolean:
      return typeof value === "string" ? value === "true" || value === "1" : typeof value === "number" ? value === 1 : value;
    case ColumnTypeEnum.Json:
      return typeof value === "string" ? JSON.parse(value) : value;
    case ColumnTypeEnum.Date:
    case ColumnTypeEnum.DateTime:
      return new Date(value as string);
    case ColumnTypeEnum.Time:
      return new Date(`1970-01-01T${value as string}Z`);
    case ColumnTypeEnum.Bytes:
      return new Uint8Array(value as Uint8Array);
    case ColumnTypeEnum.Int32Array:
      return each(ColumnTypeEnum.Int32);
    case ColumnTypeEnum.Int64Array:
      return each(ColumnTypeEnum.Int64);
    case ColumnTypeEnum.NumericArray:
      return each(ColumnTypeEnum.Numeric);
    case ColumnTypeEnum.BooleanArray:
      return each(ColumnTypeEnum.Boolean);
    case ColumnTypeEnum.JsonArray:
      return each(ColumnTypeEnum.Json);
    case ColumnTypeEnum.DateArray:
    case ColumnTypeEnum.DateTimeArray:
      return each(ColumnTypeEnum.DateTime);
    case ColumnTypeEnum.TimeArray:
      return each(ColumnTypeEnum.Time);
    default:
      return value;
  }
}

/**
 * A driver's failure as Prisma reports a raw query's: PrismaClientKnownRequestError P2010 wrapping it (what
 * transaction.ts `isUniqueViolation`, the retry and db/unavailable.ts read); anything else (a broken socket) as is.
 */
export function prismaError(error: unknown): never {
  const cause = (error as { name?: string; cause?: { originalCode?: string; originalMessage?: string; kind?: string } }).cause;
  if ((error as { name?: string }).name !== "DriverAdapterError" || !cause) throw error;
  const message = cause.originalMessage ?? (error as Error).message ?? "N/A";
  throw new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`${cause.originalCode ?? "N/A"}\`. Message: \`${message}\``, {
    code: "P2010",
    clientVersion: Prisma.prismaVersion.client,
    meta: { driverAdapterError: error },
  });
}
