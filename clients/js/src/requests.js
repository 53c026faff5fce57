// Requests in flight, correlated with their responses by seq.

import { ConnectionError, GatewayError, TimeoutError } from './errors.js';

export class Requests {
  #pending = new Map(); // seq -> {resolve, reject, timer, cmdId}
  #seq = 0;

  /** @param {{setTimeout: Function, clearTimeout: Function}} timers */
  constructor(timers) {
    this.timers = timers;
  }

  /** Number of requests waiting for a response. */
  get size() {
    return this.#pending.size;
  }

  /**
   * Registers a request and returns [seq, promise]. The promise resolves
   * with the response body on code 200, rejects with a GatewayError on
   * another code, a TimeoutError after timeoutMs, or a ConnectionError
   * when failAll is called.
   */
  add(cmdId, timeoutMs) {
    const seq = ++this.#seq;
    let entry;
    const promise = new Promise((resolve, reject) => {
      entry = { resolve, reject, cmdId, timer: null };
    });
    entry.timer = this.timers.setTimeout(() => {
      if (this.#pending.delete(seq)) entry.reject(new TimeoutError(cmdId, timeoutMs));
    }, timeoutMs);
    this.#pending.set(seq, entry);
    return [seq, promise];
  }

  /** Settles the request of frame.seq; false when none waits for it. */
  settle(frame) {
    const entry = this.#pending.get(frame.seq);
    if (!entry) return false;
    this.#pending.delete(frame.seq);
    this.timers.clearTimeout(entry.timer);
    if (frame.code === 200) entry.resolve(frame.body ?? {});
    else entry.reject(new GatewayError(frame.code, frame.err_msg ?? '', frame.cmd_id ?? entry.cmdId));
    return true;
  }

  /** Rejects one request (it could not be sent). */
  fail(seq, err) {
    const entry = this.#pending.get(seq);
    if (!entry) return;
    this.#pending.delete(seq);
    this.timers.clearTimeout(entry.timer);
    entry.reject(err);
  }

  /** Rejects every request in flight with a ConnectionError. */
  failAll(message) {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const e of all) {
      this.timers.clearTimeout(e.timer);
      e.reject(new ConnectionError(message));
    }
  }
}
