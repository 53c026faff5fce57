// Command ids, close codes and fixed strings of PROTOCOL.md.

/** Commands a client sends (PROTOCOL.md §3). */
export const Cmd = Object.freeze({
  LOGIN: 1001,
  LOGOUT: 1002,
  HEARTBEAT: 1003,
  REFRESH: 1004,
  SYNC: 1005,
  ACK: 1006,
  SEND: 2001,
  JOIN: 2101,
  LEAVE: 2102,
  PUBLISH: 2103,
});

/** Pushes the server sends without a seq (PROTOCOL.md §3). */
export const Push = Object.freeze({
  MESSAGE: 3001,
  KICKED: 3003,
  TOKEN_EXPIRED: 3004,
  RECONNECT: 3005,
  ROOM_MESSAGE: 3101,
  BROADCAST: 3102,
});

/** WebSocket close codes the gateway uses (PROTOCOL.md §4). */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  AUTH_TIMEOUT: 4001,
  KICKED: 4003,
  SLOW_CONSUMER: 4008,
  RATE_LIMITED: 4029,
});

/** The subprotocol offered beside bearer.JWT (PROTOCOL.md §1). */
export const SUBPROTOCOL = 'gateway.v1';
