// SERVER_FEATURES_PENDING lists the gateway features the SDK's tests use
// that the gateway on this branch does not have yet. A test that needs a
// pending feature is reported as SKIP with this file's name (never
// silently skipped), and the gateway is started without that feature's
// flags. When the feature lands, delete its name here: that one change
// runs its tests.
//   rooms: JOIN/LEAVE/PUBLISH, 3101 (issue 11)
//   inbox: offsets, SYNC, ACK, resume (issue 12)
//   reject-bad-token: HTTP 401 at the handshake for a bad token (issue 16)
export const SERVER_FEATURES_PENDING = ['rooms'];

/** Options for node:test's test(): a todo when feature is pending. */
export function needs(...features) {
  const missing = features.filter((f) => SERVER_FEATURES_PENDING.includes(f));
  if (missing.length === 0) return {};
  return { skip: `needs the gateway's ${missing.join(' and ')} (pending in clients/js/test/features.js)` };
}

/** Whether feature is on this branch's gateway. */
export function has(feature) {
  return !SERVER_FEATURES_PENDING.includes(feature);
}
