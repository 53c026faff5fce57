// Errors the SDK rejects promises with and reports in 'error' events.

/**
 * GatewayError is an error response of the gateway: `code` and `errMsg`
 * are the wire's `code` and `err_msg` (PROTOCOL.md §3), `cmdId` the
 * command it answered.
 */
export class GatewayError extends Error {
  constructor(code, errMsg, cmdId) {
    super(`gateway ${code}: ${errMsg}`);
    this.name = 'GatewayError';
    this.code = code;
    this.errMsg = errMsg;
    this.cmdId = cmdId;
  }
}

/** TimeoutError: a request got no response within its timeout. */
export class TimeoutError extends Error {
  constructor(cmdId, ms) {
    super(`request ${cmdId} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
    this.cmdId = cmdId;
  }
}

/**
 * ConnectionError: the request could not be sent, or the connection
 * closed before its response (it may or may not have been processed).
 */
export class ConnectionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** True when err is a GatewayError with that code. */
export function isCode(err, code) {
  return err instanceof GatewayError && err.code === code;
}
