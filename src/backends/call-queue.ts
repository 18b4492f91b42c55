// Client calls to one endpoint, shared by the transactions of a run: at most
// `concurrency` at a time per endpoint, each carrying up to `maxBatch`
// requests gathered for `gatherMs`. ARC's arcsub and arcget take many jobs
// in one call (one process and one CE round trip instead of hundreds);
// Slurm's sbatch takes one job a call, so its batch is 1 and its calls run
// side by side, as many as slurmctld is asked to bear. Each caller gets its
// own answer: a value, or an error that is its alone.

export interface CallLimits {
  /** Calls in flight to one endpoint at a time. */
  concurrency: number;
  /** Requests in one call. */
  maxBatch: number;
  /** A call waits this long for more requests to join it (unless it is already full). */
  gatherMs: number;
}

/** Per request of a call, in order: its answer or its error. A thrown error answers every request of the call. */
export type CallMany<Req, Res> = (endpoint: string, reqs: readonly Req[]) => Promise<readonly (Res | Error)[]>;

interface Pending<Req, Res> {
  req: Req;
  resolve: (r: Res) => void;
  reject: (e: Error) => void;
}

interface Lane<Req, Res> {
  queue: Pending<Req, Res>[];
  inFlight: number;
  timer?: NodeJS.Timeout;
}

export class CallQueue<Req, Res> {
  private readonly lanes = new Map<string, Lane<Req, Res>>();
  /** Calls made, per endpoint (for tests and the bench). */
  readonly calls = new Map<string, number>();

  constructor(
    private readonly callMany: CallMany<Req, Res>,
    private readonly limits: CallLimits,
  ) {}

  call(endpoint: string, req: Req): Promise<Res> {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      lane = { queue: [], inFlight: 0 };
      this.lanes.set(endpoint, lane);
    }
    const l = lane;
    return new Promise<Res>((resolve, reject) => {
      l.queue.push({ req, resolve, reject });
      this.schedule(endpoint, l);
    });
  }

  private schedule(endpoint: string, lane: Lane<Req, Res>): void {
    if (lane.queue.length === 0 || lane.inFlight >= this.limits.concurrency) return;
    if (lane.queue.length >= this.limits.maxBatch || this.limits.gatherMs <= 0) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
      this.start(endpoint, lane);
      return;
    }
    lane.timer ??= setTimeout(() => {
      lane.timer = undefined;
      this.start(endpoint, lane);
    }, this.limits.gatherMs);
  }

  private start(endpoint: string, lane: Lane<Req, Res>): void {
    while (lane.queue.length > 0 && lane.inFlight < this.limits.concurrency) {
      const batch = lane.queue.splice(0, this.limits.maxBatch);
      lane.inFlight++;
      this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
      void this.run(endpoint, lane, batch);
      // A partial batch goes alone: the rest of the gathering window is for the next one.
      if (lane.queue.length < this.limits.maxBatch) break;
    }
    this.schedule(endpoint, lane);
  }

  private async run(endpoint: string, lane: Lane<Req, Res>, batch: Pending<Req, Res>[]): Promise<void> {
    let answers: readonly (Res | Error)[] | Error;
    try {
      answers = await this.callMany(
        endpoint,
        batch.map((p) => p.req),
      );
    } catch (e) {
      answers = e instanceof Error ? e : new Error(String(e));
    }
    batch.forEach((p, i) => {
      const a =
        answers instanceof Error
          ? answers
          : (answers[i] ?? new Error(`the call to ${endpoint} gave no answer for request ${i + 1} of ${batch.length}`));
      if (a instanceof Error) p.reject(a);
      else p.resolve(a);
    });
    lane.inFlight--;
    // Requests that queued behind a full lane have waited already: they go at once.
    if (lane.queue.length > 0) this.start(endpoint, lane);
  }
}
