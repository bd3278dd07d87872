// Relay connections as async iterators: `for await (const version of client.paginate.modelVersions(…))`
// fetches one page at a time, following `pageInfo.endCursor` until `hasNextPage` is false.

/** Where a page stands in its connection. */
export interface PageInfo {
  /** Whether another page follows. */
  readonly hasNextPage: boolean;
  /** Whether a page precedes. */
  readonly hasPreviousPage: boolean;
  /** Cursor of the first node of the page. */
  readonly startCursor: string | null;
  /** Cursor of the last node of the page: pass it as `after` for the next page. */
  readonly endCursor: string | null;
}

/** One page of nodes and where it stands (the audit log's pages have no total). */
export interface Page<T> {
  /** The nodes of this page. */
  readonly nodes: readonly T[];
  /** Where the page stands. */
  readonly pageInfo: PageInfo;
}

/** One page of a connection, as returned by the client's connection methods. */
export interface Connection<T> extends Page<T> {
  /** How many nodes the whole connection has (every page, under the same filter). */
  readonly totalCount: number;
}

/** Options of `client.paginate.*`. */
export interface PaginateOptions {
  /** Nodes per request (the server caps it at 500). Default 100. */
  pageSize?: number;
  /** Stop after this many nodes. */
  limit?: number;
  /** Start after this cursor (e.g. a saved `endCursor`). */
  after?: string;
  /** Aborts between and during pages. */
  signal?: AbortSignal;
}

/** Default nodes per page of `client.paginate.*`. */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * Walks a connection lazily. Iterate it for nodes, call {@link Paginator.pages} for whole pages, or
 * {@link Paginator.all} to collect every node.
 */
export class Paginator<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (after: string | undefined, first: number, signal: AbortSignal | undefined) => Promise<Page<T>>,
    private readonly options: PaginateOptions = {},
  ) {}

  /** Yields each page in order. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    const pageSize = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    let after = this.options.after;
    let remaining = this.options.limit ?? Infinity;
    while (remaining > 0) {
      this.options.signal?.throwIfAborted();
      const page = await this.fetchPage(after, Math.min(pageSize, remaining), this.options.signal);
      remaining -= page.nodes.length;
      yield page;
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor || page.nodes.length === 0) return;
      after = page.pageInfo.endCursor;
    }
  }

  /** Yields each node in order, fetching pages as needed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let left = this.options.limit ?? Infinity;
    for await (const page of this.pages()) {
      for (const node of page.nodes) {
        if (left-- <= 0) return;
        yield node;
      }
    }
  }

  /** Every node (up to `limit`), in order. */
  async all(): Promise<T[]> {
    const nodes: T[] = [];
    for await (const node of this) nodes.push(node);
    return nodes;
  }
}
