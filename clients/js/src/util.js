// Small helpers without a better home.

/** The `exp` claim of a JWT in Unix seconds, or 0 when it cannot be read. */
export function decodeExp(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    return Number.isFinite(json.exp) ? json.exp : 0;
  } catch {
    return 0;
  }
}

/**
 * A random 128-bit id in hex (client_msg_id), from crypto.getRandomValues
 * (Math.random where there is no Web Crypto: Node 18 without a flag).
 */
export function randomId() {
  const b = new Uint8Array(16);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(b);
  else for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
