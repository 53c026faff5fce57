// The imgate gateway client SDK (PROTOCOL.md): see ../README.md.

export { Client } from './client.js';
export { Backoff, DEFAULT_BACKOFF } from './backoff.js';
export { InboxCursor, Verdict } from './inbox.js';
export { MemoryStorage, LocalStorageAdapter } from './storage.js';
export { GatewayError, TimeoutError, ConnectionError, isCode } from './errors.js';
export { Cmd, Push, CloseCode, SUBPROTOCOL } from './protocol.js';
