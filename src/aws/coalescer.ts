/**
 * Turns many single-key reads issued at about the same time into batched calls. One
 * provider process serves every resource of a deployment concurrently, so reads for
 * hundreds of secrets arrive within a few milliseconds of each other.
 *
 * Keys requested while a batch is being collected share one result; a batch is sent when
 * it is full or when the collection window ends. Nothing is cached after a batch returns:
 * every later load sees fresh data.
 */
export class Coalescer<V> {
  private pending = new Map<string, Waiter<V>[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Loads up to maxBatch keys; a key missing from the result means "not found". */
    private readonly loadBatch: (keys: string[]) => Promise<Map<string, V | Error>>,
    private readonly maxBatch: number,
    private readonly windowMs: number,
  ) {}

  load(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) {
        waiters.push({ resolve, reject });
        return;
      }
      this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    this.loadBatch([...batch.keys()]).then(
      (results) => {
        for (const [key, waiters] of batch) settle(waiters, results.get(key));
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
      },
    );
  }
}

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

function settle<V>(waiters: Waiter<V>[], result: V | Error | undefined): void {
  for (const w of waiters) {
    if (result instanceof Error) w.reject(result);
    else w.resolve(result);
  }
}
