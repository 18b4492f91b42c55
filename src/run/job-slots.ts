// How many jobs of a run are out at once (--concurrency). A slot is held
// from the submission of a job to the moment it is known to have ended,
// and by nothing else: taking the site's lock, planning, journalling the
// outcome and keeping the observation happen outside it, so a site that
// finishes never keeps the next one's job waiting for its bookkeeping
// (with 200 ms jobs, a few ms of it per job is a few % of the makespan).
// The site lock, not the slot, keeps one job at a time per site.

/** Gives back a slot; calling it again does nothing. */
export type SlotRelease = () => void;

export class JobSlots {
  private free: number;
  /** Takers waiting for a slot, first come first served. */
  private readonly waiting: ((release: SlotRelease) => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`job slots: size must be a whole number ≥ 1, got ${size}`);
    this.free = size;
  }

  /** Resolves with a slot's release once one is free. */
  acquire(): Promise<SlotRelease> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.release());
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.size - this.free;
  }

  private release(): SlotRelease {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Handed straight to the next taker: a slot never sits free while someone waits.
      const next = this.waiting.shift();
      if (next) next(this.release());
      else this.free++;
    };
  }
}
