// Work shared by all the subscribers of one live event. The feed hands the same event object to every local
// subscriber, so what each of them would ask the database separately (the model of a stage change, whether its
// viewer may still see the project) is asked once per event: keyed on the event object, forgotten with it.
// Replays reading the same page at the same time share its event objects (events/stream.ts), and so this too.

const memos = new WeakMap<object, Map<string, Promise<unknown>>>();

/** `load()` once per event and key; every subscriber resolving the same field of the same event gets its result. */
export function sharedForEvent<T>(event: object, key: string, load: () => Promise<T>): Promise<T> {
  let perEvent = memos.get(event);
  if (!perEvent) memos.set(event, (perEvent = new Map()));
  let value = perEvent.get(key) as Promise<T> | undefined;
  if (!value) perEvent.set(key, (value = load()));
  return value;
}

interface Batch<V> {
  keys: Set<string>;
  result: Promise<Map<string, V>>;
}

const batches = new WeakMap<object, Map<string, Batch<unknown>>>();

/**
 * Batches per event: the subscribers that ask a question of `kind` about this event during one turn of the event
 * loop (they all resume together when the event arrives) are answered by one `load(keys)`. A later question
 * starts a new batch, so an answer is never older than the turn it was asked in.
 */
export function batchedForEvent<V>(event: object, kind: string, key: string, load: (keys: string[]) => Promise<Map<string, V>>): Promise<V | undefined> {
  let perEvent = batches.get(event);
  if (!perEvent) batches.set(event, (perEvent = new Map()));
  let batch = perEvent.get(kind) as Batch<V> | undefined;
  if (!batch) {
    const keys = new Set<string>();
    const kinds = perEvent;
    const result = new Promise<Map<string, V>>((resolve, reject) =>
      setImmediate(() => {
        kinds.delete(kind);
        load([...keys]).then(resolve, reject);
      }),
    );
    batch = { keys, result };
    perEvent.set(kind, batch as Batch<unknown>);
  }
  batch.keys.add(key);
  return batch.result.then((answers) => answers.get(key));
}
