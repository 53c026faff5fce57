"""Assertions shared by the interop clients: what PROTOCOL.md says each
message must hold. Each client records what it received; a Checker checks
the record and prints one line per check.

As a script it checks the JSON record a client printed (the Node client):

usage: interop_checks.py CLIENT_NAME RECORD.json IDLE_MS
"""
import json
import sys
import time

AUTHENTICATED = "Connected and authenticated successfully"
ANONYMOUS = "Connected successfully. Please login or provide token."
TOKEN_INVALID = "Token authentication failed. Please login."
TOKEN_EXPIRED = "Token authentication failed: token expired. Please login."
# The long message of the compression flow (the same string in
# interop_node.js and interop_page.html): large enough to be compressed.
LONG_TEXT = "compressed on the wire: " + "the quick brown fox jumps over the lazy dog. " * 20


class Checker:
    def __init__(self, client):
        self.client = client
        self.failures = 0
        self.checks = 0

    def ok(self, name, cond, detail):
        self.checks += 1
        if cond:
            print(f"  ok   {self.client}: {name}")
        else:
            self.fail(name, detail)

    def fail(self, name, detail):
        """Records a failure: of a check, or of the flows before any check."""
        self.failures += 1
        print(f"  FAIL {self.client}: {name}: {detail}")

    def equal(self, name, got, want):
        self.ok(name, got == want, f"got {got!r}, want {want!r}")

    def authenticated(self, name, m, user):
        b = m.get("body") or {}
        self.ok(name, m.get("code") == 200 and m.get("err_msg") == "" and b.get("message") == AUTHENTICATED
                and b.get("user_id") == user and _nonempty(b.get("session_id"))
                and isinstance(b.get("expires_at"), int) and b["expires_at"] > time.time(), m)

    def anonymous(self, name, m):
        b = m.get("body") or {}
        self.ok(name, m.get("code") == 200 and m.get("err_msg") == "" and b.get("message") == ANONYMOUS
                and _nonempty(b.get("session_id")), m)

    def logged_in(self, name, m, user, seq):
        b = m.get("body") or {}
        self.ok(name, m.get("cmd_id") == 1001 and m.get("seq") == seq and m.get("code") == 200
                and m.get("err_msg") == "" and b.get("message") == "Login successful" and b.get("user_id") == user
                and all(_nonempty(b.get(k)) for k in ("session_id", "access_token", "refresh_token"))
                and isinstance(b.get("expires_in"), int) and b["expires_in"] > 0, _redact(m))

    def refused(self, name, m, expired):
        want = TOKEN_EXPIRED if expired else TOKEN_INVALID
        self.ok(name, m.get("code") == 401 and m.get("body") is None and m.get("err_msg") == want
                and ("token expired" in m["err_msg"]) == expired, m)

    def sent(self, name, resp, push, frm, to, content):
        rb, pb = resp.get("body") or {}, push.get("body") or {}
        self.ok(name + ": response", resp.get("cmd_id") == 2001 and resp.get("seq") == 1 and resp.get("code") == 200
                and rb.get("delivered") == 1 and _nonempty(rb.get("msg_id")), resp)
        self.ok(name + ": push", push.get("cmd_id") == 3001 and "seq" not in push and push.get("code") == 200
                and pb.get("msg_id") == rb.get("msg_id") and pb.get("from_uid") == frm and pb.get("to_uid") == to
                and pb.get("content") == content and isinstance(pb.get("ts"), int), push)

    def compressed(self, name, comp):
        """The compression flow: permessage-deflate negotiated with no
        context takeover both ways (the response's Sec-WebSocket-Extensions),
        the long push arrived whole, and frames with RSV1 were received."""
        ext = (comp.get("extensions") or "").replace(" ", "")
        self.ok(name + ": permessage-deflate negotiated", ext.startswith("permessage-deflate")
                and "server_no_context_takeover" in ext and "client_no_context_takeover" in ext, ext)
        push = comp.get("push") or {}
        self.ok(name + ": the long MESSAGE arrives whole", push.get("cmd_id") == 3001
                and (push.get("body") or {}).get("content") == {"text": LONG_TEXT}, push.get("cmd_id"))
        self.ok(name + ": frames with RSV1 received", (comp.get("rsv1_frames") or 0) >= 1, comp.get("rsv1_frames"))

    def heartbeat(self, name, m, seq):
        t = (m.get("body") or {}).get("server_time")
        self.ok(name, m.get("cmd_id") == 1003 and m.get("seq") == seq and m.get("code") == 200
                and isinstance(t, int) and abs(t - time.time() * 1000) < 60_000, m)

    def report(self):
        """Prints the summary and returns the exit status."""
        if self.failures and not self.checks:
            print(f"{self.client} client: FAILED before any check")
            return 1
        if self.failures:
            print(f"{self.client} client: {self.failures} of {self.checks} checks failed")
            return 1
        print(f"{self.client} client: ok ({self.checks} checks)")
        return 0


def _nonempty(v):
    return isinstance(v, str) and v != ""


def _redact(m):
    """m without its tokens, for a failure message (never print a token)."""
    b = dict(m.get("body") or {})
    for k in ("access_token", "refresh_token"):
        if k in b:
            b[k] = "…"
    return {**m, "body": b}


def check_record(client, r, idle_ms):
    """Checks the record of a client that logs like interop_node.js."""
    c = Checker(client)
    if "error" in r:
        c.fail("flows", r["error"])
        return c
    c.authenticated("token in the query", r["token_query"], "alice")
    c.authenticated("Authorization: Bearer", r["token_header"], "alice")
    c.authenticated("subprotocol gateway.v1 + bearer", r["token_subprotocol"]["first"], "alice")
    c.equal("subprotocol selected", r["token_subprotocol"]["protocol"], "gateway.v1")
    c.anonymous("no token", r["anonymous"]["first"])
    c.logged_in("LOGIN after connecting without token", r["anonymous"]["login"], "user123", seq=1)
    c.authenticated("the access token LOGIN issued", r["token_from_login"], "user123")
    c.refused("invalid token", r["invalid_then_login"]["first"], expired=False)
    c.logged_in("LOGIN on the socket of the 401", r["invalid_then_login"]["login"], "bob", seq=1)
    c.sent("SEND alice -> bob", r["send"]["response"], r["send"]["push"], "alice", "bob", {"text": f"hi from {client}"})
    c.compressed("permessage-deflate", r["compression"])
    c.equal("ping -> pong with the same payload", r["pong"], f"{client}-ping")
    for i, hb in enumerate(r["keepalive"]):
        c.heartbeat(f"HEARTBEAT after {idle_ms} ms of silence (socket {i + 1})", hb, seq=2)
    c.refused("expired token", r["expired"], expired=True)
    for i, code in enumerate(r["close"]):
        c.equal(f"clean close {i + 1}", code, 1000)
    return c


def main():
    client, path, idle_ms = sys.argv[1:4]
    with open(path, encoding="utf-8") as f:
        record = json.load(f)
    sys.exit(check_record(client, record, idle_ms).report())


if __name__ == "__main__":
    main()
