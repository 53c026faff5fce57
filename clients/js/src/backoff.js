// Exponential backoff with full jitter: the n-th retry (from 0) waits a
// uniform random time in [0, min(max, initial·factor^n)). Full jitter
// spreads a crowd of clients that lost the same server over the whole
// window (the AWS architecture blog's "Exponential Backoff And Jitter").

export const DEFAULT_BACKOFF = Object.freeze({ initial: 500, max: 30000, factor: 2 });

export class Backoff {
  /**
   * @param {{initial?: number, max?: number, factor?: number}} opts
   * @param {() => number} random uniform in [0, 1)
   */
  constructor(opts = {}, random = Math.random) {
    this.initial = opts.initial ?? DEFAULT_BACKOFF.initial;
    this.max = opts.max ?? DEFAULT_BACKOFF.max;
    this.factor = opts.factor ?? DEFAULT_BACKOFF.factor;
    this.random = random;
    this.attempt = 0;
  }

  /** The cap of the next delay, before jitter. */
  ceiling() {
    return Math.min(this.max, this.initial * this.factor ** this.attempt);
  }

  /** The next delay in ms; each call moves one step up the schedule. */
  next() {
    const d = Math.floor(this.random() * this.ceiling());
    this.attempt++;
    return d;
  }

  /** Back to the first step (after a connection that authenticated). */
  reset() {
    this.attempt = 0;
  }
}
