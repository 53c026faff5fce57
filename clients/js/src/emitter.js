// A minimal event emitter: on/off/once/emit, listeners called in order.
// A throwing listener does not stop the others; its error goes to the
// 'error' listeners (or the console when there are none).

export class Emitter {
  #listeners = new Map();

  /** Adds fn for event; returns a function that removes it. */
  on(event, fn) {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  /** Removes fn from event. */
  off(event, fn) {
    this.#listeners.get(event)?.delete(fn);
  }

  /** Adds fn for the next emit of event only. */
  once(event, fn) {
    const off = this.on(event, (...args) => {
      off();
      fn(...args);
    });
    return off;
  }

  /** Calls the listeners of event with args; true when there were any. */
  emit(event, ...args) {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return false;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        if (event === 'error' || !this.emit('error', err)) console.error(err);
      }
    }
    return true;
  }
}
