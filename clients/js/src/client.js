// The client: one logical connection to the gateway that survives socket
// losses. See ../README.md for the behaviour and ../index.d.ts for types.

import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { ConnectionError, GatewayError, TimeoutError } from './errors.js';
import { InboxCursor, Verdict } from './inbox.js';
import { CloseCode, Cmd, Push, SUBPROTOCOL } from './protocol.js';
import { Requests } from './requests.js';
import { MemoryStorage } from './storage.js';
import { decodeExp, randomId } from './util.js';

const DEFAULTS = Object.freeze({
  tokenIn: 'protocol',
  requestTimeout: 10000,
  syncTimeout: 30000,
  refreshBefore: 60000,
  autoRefresh: true,
  autoAck: true,
  ackDelay: 100,
  inboxFrom: 'latest',
  maxReconnectAttempts: Infinity,
  heartbeatInterval: 25000,
  keepCredentials: false,
});

const defaultTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t),
};

/**
 * Client is one logical connection to the gateway. It opens a WebSocket,
 * authenticates (access token, refresh token or username and password),
 * keeps the session alive across socket losses, refreshes its tokens,
 * resumes the inbox and re-joins its rooms. Single-threaded like every
 * JavaScript object: call it from the page's or process's event loop.
 */
export class Client extends Emitter {
  #o;
  #timers;
  #storage;
  #backoff;
  #requests;
  #inbox;
  #rooms = new Set();
  #tokens = { accessToken: null, refreshToken: null, expiresAt: 0 };
  #creds = null;
  #state = 'idle';
  #ws = null;
  #gen = 0; // bumps with every socket; events of older sockets are ignored
  #sock = null; // per-socket flags
  #session = null;
  #loaded = false;
  #waiters = [];
  #retryAfter = null;
  #attempts = 0;
  #stopped = null; // why the client stopped for good (an Error), else null
  #reconnectTimer = null;
  #refreshTimer = null;
  #ackTimer = null;
  #acked = 0;
  #syncing = false;
  #refreshing = null; // the refresh() in flight
  #failedOpens = 0; // sockets in a row that offered the access token and never opened

  /** @param {import('../index.d.ts').ClientOptions} options */
  constructor(options) {
    super();
    if (!options || typeof options.url !== 'string') throw new TypeError('Client: options.url is required');
    this.#o = { ...DEFAULTS, ...options };
    this.#timers = { ...defaultTimers, ...options.timers };
    this.#storage = options.storage ?? new MemoryStorage();
    this.#backoff = new Backoff(options.backoff, options.random ?? Math.random);
    this.#requests = new Requests(this.#timers);
    this.#inbox = new InboxCursor(this.#o.inboxFrom);
    if (options.username !== undefined) this.#creds = { username: options.username, password: options.password };
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WebSocket !== 'function') {
      throw new TypeError('Client: no WebSocket here; pass options.WebSocket (Node < 22: --experimental-websocket)');
    }
  }

  /** The connection state: idle, connecting, authenticating, open, reconnecting or closed. */
  get state() {
    return this.#state;
  }

  /** {userId, sessionId} of the current authenticated session, else null. */
  get session() {
    return this.#session;
  }

  /** The rooms this client is in (and re-joins after a reconnect). */
  get rooms() {
    return [...this.#rooms];
  }

  /** The inbox cursor: {epoch, offset} of the last entry handed to the app. */
  get inbox() {
    return { epoch: this.#inbox.epoch, offset: this.#inbox.offset };
  }

  /** Why the client stopped for good (kicked, authentication refused), else null. */
  get error() {
    return this.#stopped;
  }

  /**
   * Opens the connection. Resolves with the session once authenticated;
   * rejects when the client stops for good first (credentials refused,
   * 429, kicked, close()). While the server is unreachable it keeps
   * retrying with backoff and the promise waits.
   */
  async connect() {
    if (this.#state === 'open') return this.#session;
    const p = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#stopped = null;
      this.#attempts = 0;
      this.#backoff.reset();
      this.#setState('connecting');
      try {
        await this.#load();
      } catch (err) {
        this.#stop(err);
        return p;
      }
      if (this.#state === 'connecting') this.#open();
    }
    return p;
  }

  /** Closes the connection for good (until connect() again). */
  close() {
    this.#stop(null);
  }

  /** Logs out (revoking the refresh token's family), forgets the tokens and closes. */
  async logout() {
    try {
      if (this.#state === 'open') await this.request(Cmd.LOGOUT, {});
    } finally {
      this.#tokens = { accessToken: null, refreshToken: null, expiresAt: 0 };
      await this.#storage.remove('tokens');
      this.#stop(null);
    }
  }

  /**
   * Sends one request on the live socket. Resolves with the response's
   * body (code 200); rejects with GatewayError (another code),
   * TimeoutError or ConnectionError (not connected, or the socket closed
   * before the response: the request may or may not have been processed).
   */
  request(cmdId, body = {}, { timeout } = {}) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1) return Promise.reject(new ConnectionError('not connected'));
    const [seq, promise] = this.#requests.add(cmdId, timeout ?? this.#o.requestTimeout);
    try {
      ws.send(JSON.stringify({ cmd_id: cmdId, seq, body }));
    } catch (err) {
      this.#requests.fail(seq, new ConnectionError(`send failed: ${err.message}`));
    }
    return promise;
  }

  /**
   * Sends a direct message (SEND). A client_msg_id is generated unless
   * given; the message is never handed back to this client as a 'message'
   * (its other devices get it). Resolves with {msg_id, delivered, offset?}.
   */
  send(toUid, content, { clientMsgId, timeout } = {}) {
    const id = clientMsgId ?? randomId();
    this.#inbox.onSend(id);
    this.#saveInbox();
    return this.request(Cmd.SEND, { to_uid: toUid, content, client_msg_id: id }, { timeout });
  }

  /** Joins a room (JOIN) and re-joins it after every reconnect. */
  async join(room, { timeout } = {}) {
    const res = await this.request(Cmd.JOIN, { room }, { timeout });
    this.#rooms.add(room);
    return res;
  }

  /** Leaves a room (LEAVE); it is no longer re-joined. */
  async leave(room, { timeout } = {}) {
    this.#rooms.delete(room);
    return this.request(Cmd.LEAVE, { room }, { timeout });
  }

  /** Publishes to a room this client is in (PUBLISH). Resolves with {msg_id, delivered}. */
  publish(room, content, { clientMsgId, timeout } = {}) {
    return this.request(Cmd.PUBLISH, { room, content, client_msg_id: clientMsgId ?? randomId() }, { timeout });
  }

  /**
   * Refreshes the tokens now (REFRESH on the live socket). Calls while
   * one is in flight share it: a refresh token is single use, and a second
   * use would revoke its whole family.
   */
  refresh() {
    if (this.#refreshing) return this.#refreshing;
    if (!this.#tokens.refreshToken) return Promise.reject(new Error('no refresh token'));
    this.#refreshing = (async () => {
      try {
        const res = await this.request(Cmd.REFRESH, { refresh_token: this.#tokens.refreshToken });
        await this.#setTokens(res);
        this.#scheduleRefresh();
        return res;
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /** Acknowledges the inbox up to offset (default: what the app has been handed). */
  ack(offset = this.#inbox.offset) {
    if (!(offset > this.#acked)) return Promise.resolve(null);
    this.#acked = offset;
    return this.request(Cmd.ACK, { offset }).catch(() => {
      if (this.#acked === offset) this.#acked = 0; // try again next time
      return null;
    });
  }

  // ---- lifecycle

  async #load() {
    if (this.#loaded) return;
    this.#loaded = true;
    const t = await this.#storage.get('tokens');
    if (t && typeof t === 'object') {
      this.#tokens = { accessToken: t.accessToken ?? null, refreshToken: t.refreshToken ?? null, expiresAt: t.expiresAt ?? 0 };
    }
    const o = this.#o;
    if (o.token) this.#tokens = { ...this.#tokens, accessToken: o.token, expiresAt: decodeExp(o.token) };
    if (o.refreshToken) this.#tokens.refreshToken = o.refreshToken;
    if (o.token || o.refreshToken) await this.#storage.set('tokens', this.#tokens);
    this.#inbox.load(await this.#storage.get('inbox'));
  }

  #setState(s) {
    if (s === this.#state) return;
    const prev = this.#state;
    this.#state = s;
    this.emit('state', { state: s, prev });
  }

  #usableToken() {
    const t = this.#tokens;
    if (!t.accessToken) return null;
    if (t.expiresAt && t.expiresAt * 1000 <= this.#timers.now()) return null;
    return t.accessToken;
  }

  #open() {
    const gen = ++this.#gen;
    this.#setState('connecting');
    // A server with -reject-bad-token refuses a bad token with HTTP 401
    // at the handshake, which a WebSocket cannot tell from a server that
    // is down: after two such failures, when a refresh token or a password
    // can authenticate in-band instead, try without the access token.
    const fallback = this.#failedOpens >= 2 && (this.#tokens.refreshToken || this.#creds);
    const token = fallback ? null : this.#usableToken();
    const url = new URL(this.#o.url);
    if (this.#o.deviceId) url.searchParams.set('device_id', this.#o.deviceId);
    if (this.#o.platform) url.searchParams.set('platform', this.#o.platform);
    const protocols = [SUBPROTOCOL];
    if (token && this.#o.tokenIn === 'query') url.searchParams.set('token', token);
    else if (token) protocols.push('bearer.' + token);
    this.#sock = { first: false, triedRefresh: false, triedLogin: false, timer: null, lastIn: 0, opened: false, token: !!token };
    let ws;
    try {
      ws = new this.WebSocket(url.toString(), protocols);
    } catch (err) {
      this.emit('error', err);
      this.#scheduleReconnect(0, String(err.message));
      return;
    }
    this.#ws = ws;
    this.#watch(gen, this.#o.requestTimeout, 'connect timeout');
    ws.onopen = () => gen === this.#gen && this.#onOpen();
    ws.onmessage = (ev) => gen === this.#gen && this.#onData(ev.data);
    ws.onclose = (ev) => gen === this.#gen && this.#onClose(ev.code, ev.reason);
    // A close event follows an error in browsers; Node 20's WebSocket
    // may fire only the error when the connection is refused, so an error
    // counts as the close (the later close event, if any, is ignored).
    ws.onerror = () => {
      this.#timers.setTimeout(() => this.#abort(gen, 'connection error'), 0);
    };
  }

  #onOpen() {
    this.#sock.opened = true;
    this.#failedOpens = 0;
    this.#setState('authenticating');
    this.#watch(this.#gen, this.#o.requestTimeout, 'no first frame');
  }

  // #watch gives the socket of generation gen ms to make progress (open,
  // send its first frame) before it is abandoned with reason.
  #watch(gen, ms, reason) {
    this.#timers.clearTimeout(this.#sock.timer);
    this.#sock.timer = this.#timers.setTimeout(() => this.#abort(gen, reason), ms);
  }

  // #abort gives up on the socket of generation gen without waiting for a
  // closing handshake that a dead peer would never answer.
  #abort(gen, reason) {
    if (gen !== this.#gen) return;
    try {
      this.#ws?.close();
    } catch {
      // not open yet: nothing to close
    }
    this.#onClose(1006, reason);
  }

  // #heartbeat sends HEARTBEAT (1003) when nothing has arrived for
  // heartbeatInterval and abandons the socket when it is not answered in
  // time: a silently dead connection (a network gone, a frozen peer) is
  // noticed in about interval + requestTimeout, not after TCP's minutes.
  #heartbeat(gen) {
    const every = this.#o.heartbeatInterval;
    if (!(every > 0) || gen !== this.#gen) return;
    const s = this.#sock;
    const idle = this.#timers.now() - s.lastIn;
    this.#timers.clearTimeout(s.timer);
    if (idle < every) {
      s.timer = this.#timers.setTimeout(() => this.#heartbeat(gen), every - idle);
      return;
    }
    this.request(Cmd.HEARTBEAT, {}).then(
      () => this.#heartbeat(gen),
      (err) => (err instanceof TimeoutError ? this.#abort(gen, 'heartbeat timeout') : this.#heartbeat(gen)),
    );
  }

  #onClose(code, reason) {
    this.#gen++; // later events of this socket are stale
    this.#timers.clearTimeout(this.#sock?.timer);
    if (this.#sock && !this.#sock.opened && this.#sock.token) this.#failedOpens++;
    this.#ws = null;
    this.#session = null;
    this.#syncing = false;
    this.#clearTimer('refresh');
    this.#clearTimer('ack');
    this.#requests.failAll(`connection closed (${code})`);
    this.emit('disconnected', { code, reason });
    if (this.#state === 'closed') return;
    if (code === CloseCode.KICKED) {
      this.#stop(this.#stopped ?? new GatewayError(4003, 'kicked', Push.KICKED));
      return;
    }
    this.#scheduleReconnect(code, reason);
  }

  #scheduleReconnect(code, reason) {
    let delay;
    if (this.#retryAfter !== null) {
      delay = this.#retryAfter; // 3005 RECONNECT said when
      this.#retryAfter = null;
      this.#backoff.reset();
    } else {
      delay = this.#backoff.next();
    }
    if (++this.#attempts > this.#o.maxReconnectAttempts) {
      this.#stop(new ConnectionError(`gave up after ${this.#o.maxReconnectAttempts} reconnect attempts`));
      return;
    }
    this.#setState('reconnecting');
    this.emit('reconnecting', { attempt: this.#attempts, delay, code, reason });
    this.#reconnectTimer = this.#timers.setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'reconnecting') this.#open();
    }, delay);
  }

  // #stop ends the client: err null for close(), else the reason, which
  // rejects connect() and is reported as 'failed'.
  #stop(err) {
    const was = this.#state;
    this.#stopped = err;
    this.#setState('closed');
    this.#clearTimer('reconnect');
    this.#clearTimer('refresh');
    this.#clearTimer('ack');
    const ws = this.#ws;
    this.#ws = null;
    this.#gen++;
    this.#session = null;
    if (ws && ws.readyState <= 1) ws.close(1000);
    this.#requests.failAll('client closed');
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w.reject(err ?? new ConnectionError('client closed'));
    if (err && was !== 'closed') this.emit('failed', err);
  }

  #clearTimer(name) {
    if (name === 'reconnect') {
      this.#timers.clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    } else if (name === 'refresh') {
      this.#timers.clearTimeout(this.#refreshTimer);
      this.#refreshTimer = null;
    } else {
      this.#timers.clearTimeout(this.#ackTimer);
      this.#ackTimer = null;
    }
  }

  // ---- frames

  #onData(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      this.emit('error', new Error('gateway sent a frame that is not JSON'));
      return;
    }
    this.#sock.lastIn = this.#timers.now();
    if (!this.#sock.first) {
      this.#sock.first = true;
      this.#timers.clearTimeout(this.#sock.timer);
      this.#onFirst(frame);
      this.#heartbeat(this.#gen);
      return;
    }
    if (frame.seq !== undefined && this.#requests.settle(frame)) return;
    const body = frame.body ?? {};
    switch (frame.cmd_id) {
      case Push.MESSAGE:
        this.#onMessage(body);
        break;
      case Push.ROOM_MESSAGE:
        this.emit('roomMessage', body);
        break;
      case Push.BROADCAST:
        this.emit('broadcast', body);
        break;
      case Push.KICKED:
        this.#onKicked(body);
        break;
      case Push.TOKEN_EXPIRED:
        this.#onTokenExpired();
        break;
      case Push.RECONNECT:
        this.#retryAfter = Number.isFinite(body.retry_after_ms) ? Math.max(0, body.retry_after_ms) : null;
        this.emit('serverReconnect', { reason: body.reason ?? '', retryAfterMs: this.#retryAfter });
        break;
      default:
        this.emit('frame', frame);
    }
  }

  #onFirst(frame) {
    const body = frame.body ?? {};
    if (frame.code === 200 && body.user_id) {
      if (Number.isFinite(body.expires_at)) this.#tokens.expiresAt = body.expires_at;
      this.#authenticated(body, true);
      return;
    }
    if (frame.code === 401) {
      this.#tokens.accessToken = null; // refused or expired: never offered again
      this.#saveTokens();
      this.emit('tokenRefused', { errMsg: frame.err_msg ?? '' });
    }
    this.#authenticate(true);
  }

  // #authenticate authenticates an unauthenticated socket: with the
  // refresh token, else the username and password, each at most once per
  // socket. When neither is left it stops the client: a refused
  // credential is reported, never retried in a loop.
  async #authenticate(fresh) {
    const gen = this.#gen;
    const s = this.#sock;
    this.#setState('authenticating');
    if (this.#tokens.refreshToken && !s.triedRefresh) {
      s.triedRefresh = true;
      try {
        const res = await this.request(Cmd.REFRESH, { refresh_token: this.#tokens.refreshToken });
        if (gen !== this.#gen) return;
        await this.#setTokens(res);
        this.#authenticated(res, fresh);
        return;
      } catch (err) {
        if (gen !== this.#gen || !(err instanceof GatewayError)) return; // the close handles it
        if (err.code === 429 || err.code >= 500) return this.#stop(err);
        this.#tokens.refreshToken = null; // invalid, spent or revoked
        this.#saveTokens();
      }
    }
    if (this.#creds && !s.triedLogin) {
      s.triedLogin = true;
      try {
        const res = await this.request(Cmd.LOGIN, this.#creds);
        if (gen !== this.#gen) return;
        if (!this.#o.keepCredentials) this.#creds = null;
        await this.#setTokens(res);
        this.#authenticated(res, fresh);
      } catch (err) {
        if (gen === this.#gen && err instanceof GatewayError) this.#stop(err);
      }
      return;
    }
    this.#stop(new GatewayError(401, 'no valid credentials left: log in again', Cmd.LOGIN));
  }

  #authenticated(body, fresh) {
    this.#session = { userId: body.user_id, sessionId: body.session_id };
    this.#attempts = 0;
    this.#backoff.reset();
    this.#setState('open');
    this.#scheduleRefresh();
    this.emit('connected', { ...this.#session, resumed: !fresh });
    for (const w of this.#waiters.splice(0)) w.resolve(this.#session);
    for (const room of this.#rooms) {
      this.request(Cmd.JOIN, { room }).catch((err) => {
        if (err instanceof GatewayError) this.#rooms.delete(room);
        this.emit('error', err);
      });
    }
    if (fresh || body.inbox) this.#resumeInbox(body.inbox);
  }

  #onKicked(body) {
    this.#stopped = new GatewayError(4003, `kicked: ${body.reason ?? ''}`, Push.KICKED);
    this.#tokens = { accessToken: null, refreshToken: null, expiresAt: 0 };
    this.#saveTokens();
    this.emit('kicked', { reason: body.reason ?? '' });
  }

  #onTokenExpired() {
    this.#clearTimer('refresh');
    this.#tokens.accessToken = null;
    this.#saveTokens();
    this.emit('tokenExpired', {});
    this.#sock.triedRefresh = false;
    this.#sock.triedLogin = false;
    this.#authenticate(false);
  }

  // ---- tokens

  async #setTokens(res) {
    this.#tokens = {
      accessToken: res.access_token,
      refreshToken: res.refresh_token,
      expiresAt: Math.floor(this.#timers.now() / 1000) + (res.expires_in ?? 0),
    };
    await this.#saveTokens();
    this.emit('tokens', { ...this.#tokens });
  }

  #saveTokens() {
    return Promise.resolve(this.#storage.set('tokens', this.#tokens)).catch((err) => this.emit('error', err));
  }

  // #scheduleRefresh refreshes refreshBefore ms before the access token
  // expires, but at most half-way through its remaining life.
  #scheduleRefresh() {
    this.#clearTimer('refresh');
    const t = this.#tokens;
    if (!this.#o.autoRefresh || !t.refreshToken || !t.expiresAt) return;
    const left = t.expiresAt * 1000 - this.#timers.now();
    const delay = Math.max(0, left - Math.min(this.#o.refreshBefore, left / 2));
    this.#refreshTimer = this.#timers.setTimeout(() => {
      this.#refreshTimer = null;
      if (this.#state !== 'open') return;
      this.refresh().catch((err) => this.emit('error', err));
    }, delay);
  }

  // ---- inbox

  #saveInbox() {
    Promise.resolve(this.#storage.set('inbox', this.#inbox.toRecord())).catch((err) => this.emit('error', err));
  }

  #resumeInbox(info) {
    const plan = this.#inbox.onSession(info);
    this.#saveInbox();
    if (plan.lost !== null) this.emit('lost', { reason: 'epoch', epoch: plan.lost });
    if (plan.sync) this.#sync(plan.sync);
  }

  #onMessage(body) {
    const v = this.#inbox.judge(body);
    if (v === Verdict.GAP) {
      this.#sync(this.#inbox.syncBody());
      return;
    }
    if (v === Verdict.DELIVER) this.emit('message', body);
    if (Number.isSafeInteger(body.offset)) {
      this.#saveInbox();
      this.#scheduleAck();
    }
  }

  // #sync replays the inbox from the cursor until it is complete; a
  // second call while one runs is folded into it (onSyncResult asks for
  // another round when entries were dropped meanwhile).
  async #sync(body) {
    if (this.#syncing) return;
    this.#syncing = true;
    const gen = this.#gen;
    try {
      for (;;) {
        const from = this.#inbox.offset;
        const res = await this.request(Cmd.SYNC, body, { timeout: this.#o.syncTimeout });
        if (gen !== this.#gen) return;
        const r = this.#inbox.onSyncResult(res);
        this.#saveInbox();
        if (r.lost) this.emit('lost', { reason: r.lost, epoch: this.#inbox.epoch });
        if (!r.again) break;
        if (this.#inbox.offset === from && res.more !== true && !r.lost) {
          this.emit('error', new Error('inbox replay did not advance; waiting for the next entry'));
          break;
        }
        body = r.again;
      }
      this.#scheduleAck();
    } catch (err) {
      if (err instanceof GatewayError) this.emit('error', err);
    } finally {
      if (gen === this.#gen) this.#syncing = false;
    }
  }

  #scheduleAck() {
    if (!this.#o.autoAck || this.#ackTimer !== null || !(this.#inbox.offset > this.#acked)) return;
    this.#ackTimer = this.#timers.setTimeout(() => {
      this.#ackTimer = null;
      if (this.#state === 'open') this.ack();
    }, this.#o.ackDelay);
  }
}
