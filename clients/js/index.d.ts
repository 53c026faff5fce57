// Type declarations of @imgate/client, written by hand; they follow
// src/*.js and ../../shared/PROTOCOL.md.

/** A value stored by the client: plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where tokens and the inbox cursor are kept. Methods may be async. */
export interface TokenStorage {
  get(key: string): unknown | null | Promise<unknown | null>;
  set(key: string, value: unknown): void | Promise<void>;
  remove(key: string): void | Promise<void>;
}

/** Keeps records in memory (the default). */
export class MemoryStorage implements TokenStorage {
  get(key: string): unknown | null;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

/** Keeps records in localStorage (default) or another Web Storage, as JSON under prefix. */
export class LocalStorageAdapter implements TokenStorage {
  constructor(prefix?: string, store?: Storage);
  readonly prefix: string;
  get(key: string): unknown | null;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

export interface BackoffOptions {
  /** First ceiling in ms (default 500). */
  initial?: number;
  /** Largest ceiling in ms (default 30000). */
  max?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/** Exponential backoff with full jitter: delay n is uniform in [0, min(max, initial·factor^n)). */
export class Backoff {
  constructor(opts?: BackoffOptions, random?: () => number);
  attempt: number;
  ceiling(): number;
  next(): number;
  reset(): void;
}

export declare const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>>;

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  /** ws:// or wss:// URL of the gateway. */
  url: string;
  /** An access token (JWT). */
  token?: string;
  /** A refresh token: used when the access token is missing, refused or expired. */
  refreshToken?: string;
  /** Log in with 1001 when no token works. */
  username?: string;
  password?: string;
  /** Keep the password in memory after a successful login, to log in again when the refresh token is refused (default false). */
  keepCredentials?: boolean;
  /** Where the access token goes: the `bearer.` subprotocol (default) or the `token` query parameter. */
  tokenIn?: 'protocol' | 'query';
  deviceId?: string;
  platform?: string;
  /** Tokens and the inbox cursor (default MemoryStorage). */
  storage?: TokenStorage;
  /** The WebSocket constructor (default globalThis.WebSocket). */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocket;
  /** Default timeout of a request in ms (default 10000). */
  requestTimeout?: number;
  /** Timeout of one SYNC round in ms (default 30000). */
  syncTimeout?: number;
  /** Reconnect schedule (default 500 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Send HEARTBEAT after this long without an inbound frame; no answer within requestTimeout abandons the socket (default 25000 ms; 0 disables). */
  heartbeatInterval?: number;
  /** Give up after this many reconnects in a row without authenticating (default Infinity). */
  maxReconnectAttempts?: number;
  /** Refresh this long before the access token expires, at most half its remaining life (default 60000 ms). */
  refreshBefore?: number;
  /** Refresh before expiry (default true). */
  autoRefresh?: boolean;
  /** ACK the inbox after the app's 'message' listeners returned (default true). */
  autoAck?: boolean;
  /** How long ACKs are gathered before one is sent, in ms (default 100). */
  ackDelay?: number;
  /** Where a client without a stored cursor starts: the newest entry (default) or the oldest retained one. */
  inboxFrom?: 'latest' | 'oldest';
  /** For tests: uniform random in [0, 1) (default Math.random). */
  random?: () => number;
  /** For tests: the clock and timers. */
  timers?: Partial<Timers>;
}

export type State = 'idle' | 'connecting' | 'authenticating' | 'open' | 'reconnecting' | 'closed';

export interface Session {
  userId: string;
  sessionId: string;
}

/** 3001 MESSAGE. */
export interface Message {
  msg_id: string;
  from_uid: string;
  from_device: string;
  to_uid: string;
  content: Json;
  client_msg_id?: string;
  ts: number;
  offset?: number;
  prev_offset?: number;
}

/** 3101 ROOM_MESSAGE. */
export interface RoomMessage {
  room: string;
  msg_id: string;
  from_uid: string;
  from_device: string;
  content: Json;
  client_msg_id?: string;
  ts: number;
}

/** 3102 BROADCAST. */
export interface Broadcast {
  msg_id: string;
  content: Json;
  ts: number;
}

export interface Tokens {
  accessToken: string | null;
  refreshToken: string | null;
  /** Unix seconds; 0 when unknown. */
  expiresAt: number;
}

export interface ClientEvents {
  state: { state: State; prev: State };
  connected: Session & { resumed: boolean };
  disconnected: { code: number; reason: string };
  reconnecting: { attempt: number; delay: number; code: number; reason: string };
  /** The client stopped for good: credentials refused, 429, kicked, too many attempts. */
  failed: Error;
  message: Message;
  roomMessage: RoomMessage;
  broadcast: Broadcast;
  kicked: { reason: string };
  tokens: Tokens;
  tokenExpired: {};
  tokenRefused: { errMsg: string };
  serverReconnect: { reason: string; retryAfterMs: number | null };
  /** Inbox entries that cannot be replayed: fetch them from the backend. */
  lost: { reason: 'epoch' | 'pruned'; epoch: string | null };
  /** Any other frame (a backend's command, a future push). */
  frame: { cmd_id?: number; seq?: number; code: number; body: Json; err_msg: string };
  error: Error;
}

export interface SendResult {
  msg_id: string;
  delivered: number;
  offset?: number;
  routed?: boolean;
}

export interface RequestOptions {
  timeout?: number;
}

export class Client {
  constructor(options: ClientOptions);
  readonly state: State;
  readonly session: Session | null;
  readonly rooms: string[];
  readonly inbox: { epoch: string | null; offset: number };
  readonly error: Error | null;
  on<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void;
  once<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): void;
  connect(): Promise<Session>;
  close(): void;
  logout(): Promise<void>;
  request<T = any>(cmdId: number, body?: object, opts?: RequestOptions): Promise<T>;
  send(toUid: string, content: Json, opts?: RequestOptions & { clientMsgId?: string }): Promise<SendResult>;
  join(room: string, opts?: RequestOptions): Promise<{ room: string }>;
  leave(room: string, opts?: RequestOptions): Promise<{ room: string }>;
  publish(room: string, content: Json, opts?: RequestOptions & { clientMsgId?: string }): Promise<{ msg_id: string; delivered: number }>;
  refresh(): Promise<{ access_token: string; refresh_token: string; expires_in: number }>;
  ack(offset?: number): Promise<{ offset: number } | null>;
}

/** An error response: code and err_msg as on the wire. */
export class GatewayError extends Error {
  code: number;
  errMsg: string;
  cmdId: number;
}
export class TimeoutError extends Error {
  cmdId: number;
}
/** Not connected, or the socket closed before the response (the request may or may not have been processed). */
export class ConnectionError extends Error {}
export function isCode(err: unknown, code: number): boolean;

export type Verdict = 'deliver' | 'skip' | 'gap';
export declare const Verdict: { DELIVER: 'deliver'; SKIP: 'skip'; GAP: 'gap' };

/** The inbox bookkeeping behind Client (exported for tests and custom clients). */
export class InboxCursor {
  constructor(from?: 'latest' | 'oldest');
  epoch: string | null;
  offset: number;
  load(rec: unknown): void;
  toRecord(): { epoch: string | null; offset: number; own: string[] };
  onSession(info?: { epoch: string; offset: number }): { sync: object | null; lost: string | null };
  syncBody(): { since: number; epoch?: string };
  judge(body: Message): Verdict;
  onSend(clientMsgId: string): void;
  onSyncResult(res: { epoch?: string; offset?: number; more?: boolean; lost?: boolean }): { again: object | null; lost: 'epoch' | 'pruned' | null };
}

export declare const Cmd: {
  LOGIN: 1001; LOGOUT: 1002; HEARTBEAT: 1003; REFRESH: 1004; SYNC: 1005; ACK: 1006;
  SEND: 2001; JOIN: 2101; LEAVE: 2102; PUBLISH: 2103;
};
export declare const Push: {
  MESSAGE: 3001; KICKED: 3003; TOKEN_EXPIRED: 3004; RECONNECT: 3005; ROOM_MESSAGE: 3101; BROADCAST: 3102;
};
export declare const CloseCode: {
  NORMAL: 1000; GOING_AWAY: 1001; AUTH_TIMEOUT: 4001; KICKED: 4003; SLOW_CONSUMER: 4008; RATE_LIMITED: 4029;
};
export declare const SUBPROTOCOL: 'gateway.v1';
