// Token and cursor storage. The client keeps two records under a key
// prefix: "tokens" ({accessToken, refreshToken, expiresAt}) and "inbox"
// ({epoch, offset, own}). A storage has get(key), set(key, value) and
// remove(key); values are plain JSON-able objects; methods may return
// promises.

/** MemoryStorage keeps records in the page or process (the default). */
export class MemoryStorage {
  #map = new Map();
  get(key) {
    const v = this.#map.get(key);
    return v === undefined ? null : structuredClone(v);
  }
  set(key, value) {
    this.#map.set(key, structuredClone(value));
  }
  remove(key) {
    this.#map.delete(key);
  }
}

/**
 * LocalStorageAdapter keeps records in a Web Storage: localStorage by
 * default (shared by a site's tabs, kept across restarts), or
 * sessionStorage (one tab, kept across reloads), as JSON under prefix.
 * Give each user or account its own prefix when several share a browser.
 */
export class LocalStorageAdapter {
  constructor(prefix = 'imgate.', store = globalThis.localStorage) {
    if (!store) throw new Error('LocalStorageAdapter: no Web Storage here (not a browser?)');
    this.prefix = prefix;
    this.store = store;
  }
  get(key) {
    const s = this.store.getItem(this.prefix + key);
    if (s === null) return null;
    try {
      return JSON.parse(s);
    } catch {
      return null;
    }
  }
  set(key, value) {
    this.store.setItem(this.prefix + key, JSON.stringify(value));
  }
  remove(key) {
    this.store.removeItem(this.prefix + key);
  }
}
