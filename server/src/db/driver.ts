import { AsyncLocalStorage } from "node:async_hooks";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, SqlResultSet, Transaction } from "@prisma/driver-adapter-utils";

/**
 * The driver's side of our transactions. Prisma's interactive transaction runs each statement through its query
 * interpreter and, after `work`, through its transaction manager before COMMIT is sent; for the transaction
 * helper's own last statement (the append, events/log.ts) that is pure overhead while the model's row lock and the
 * event-log lock are held. So the adapter is wrapped: the transaction Prisma opens for a `transaction()` call is
 * handed to that call (through async context), which sends its last statement on it directly and COMMIT as soon as
 * that returns; Prisma's own COMMIT (or phantom commit) then completes without a round trip.
 *
 * The wrapper also counts every statement sent (`onStatement`), Prisma's and the helper's, as the database's
 * statement count (db/database.ts).
 */
export interface DriverTransaction {
  /** Runs a statement on the transaction's own connection, past Prisma's interpreter. */
  query(query: SqlQuery): Promise<SqlResultSet>;
  /** Sends COMMIT now; Prisma's commit that follows only waits for it. */
  commitNow(): Promise<void>;
}

/** The transaction Prisma opened inside a `withDriverTransaction` scope (set once its BEGIN has returned). */
interface Slot {
  transaction?: TrackedTransaction;
}

const scope = new AsyncLocalStorage<Slot>();

/**
 * Runs `open` (which opens one Prisma interactive transaction) and hands `work` (run inside it) the driver's
 * transaction. Undefined when the adapter is not wrapped by `trackTransactions` (then Prisma does everything).
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
