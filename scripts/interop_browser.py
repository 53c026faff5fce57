"""Drives headless Chromium through the interop flows of interop_page.html
and asserts on what the page's WebSocket received.

Chromium is started with --remote-debugging-port=0; this script reads the
port it chose from DevToolsActivePort, opens a page over the DevTools
protocol (with the websockets library), loads interop_page.html and awaits
window.interop, the page's record of every message and close event.

usage: interop_browser.py WS_URL ALICE_TOKEN EXPIRED_TOKEN IDLE_MS PROFILE_DIR
"""
import asyncio
import itertools
import json
import os
import pathlib
import subprocess
import sys
import urllib.parse

import websockets

from interop_checks import Checker

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


class DevTools:
    """A minimal DevTools protocol client: one browser connection, flat sessions."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method, session=None, **params):
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        await self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]


async def devtools_url(profile, proc, seconds=20):
    port_file = pathlib.Path(profile) / "DevToolsActivePort"
    for _ in range(seconds * 10):
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode}")
        if port_file.exists():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.1)
    raise RuntimeError("chromium did not open its DevTools port")


async def run_page(page_url, profile):
    proc = subprocess.Popen(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             f"--log-net-log={net_log(profile)}",
                             "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "chromium.log"), "w"))
    try:
        async with websockets.connect(await devtools_url(profile, proc), max_size=None) as ws:
            dt = DevTools(ws)
            target = (await dt.call("Target.createTarget", url="about:blank"))["targetId"]
            session = (await dt.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
            await dt.call("Page.navigate", session, url=page_url)
            wait = "new Promise(r => { const f = () => window.interop ? window.interop.then(r) : setTimeout(f, 50); f(); })"
            res = await asyncio.wait_for(dt.call("Runtime.evaluate", session, expression=wait,
                                                 awaitPromise=True, returnByValue=True), 60)
            if "exceptionDetails" in res:
                raise RuntimeError(f"page error: {res['exceptionDetails']}")
            return res["result"]["value"]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def net_log(profile):
    return os.path.join(profile, "netlog.json")


def rsv1_frames(profile):
    """Counts the WebSocket frame headers Chromium received with RSV1 set,
    from its net log (written when the browser exits)."""
    with open(net_log(profile), encoding="utf-8") as f:
        text = f.read()
    try:
        log = json.loads(text)
    except ValueError:  # cut short when the browser was killed: close it
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    return sum(1 for e in log.get("events", []) if types.get(e.get("type")) == "WEBSOCKET_RECV_FRAME_HEADER"
               and (e.get("params") or {}).get("reserved1"))


def check(r, idle_ms):
    c = Checker("browser")
    if "error" in r:
        c.fail("page", r["error"])
        return c
    c.authenticated("token in the query", r["token_query"], "alice")
    c.authenticated("subprotocol gateway.v1 + bearer", r["token_subprotocol"]["first"], "alice")
    c.equal("subprotocol selected", r["token_subprotocol"]["protocol"], "gateway.v1")
    c.anonymous("no token", r["anonymous"]["first"])
    c.logged_in("LOGIN after connecting without token", r["anonymous"]["login"], "user123", seq=1)
    c.authenticated("the access token LOGIN issued", r["token_from_login"], "user123")
    c.refused("invalid token", r["invalid_then_login"]["first"], expired=False)
    c.logged_in("LOGIN on the socket of the 401", r["invalid_then_login"]["login"], "bob", seq=1)
    c.sent("SEND alice -> bob", r["send"]["response"], r["send"]["push"], "alice", "bob", {"text": "hi from the browser"})
    if "compression" in r:
        c.compressed("permessage-deflate", r["compression"])
    for i, hb in enumerate(r["keepalive"]):
        c.heartbeat(f"HEARTBEAT after {idle_ms} ms of silence (socket {i + 1})", hb, seq=2)
    c.refused("expired token", r["expired"], expired=True)
    for i, cl in enumerate(r["close"]):
        c.equal(f"clean close {i + 1}", (cl["code"], cl["wasClean"]), (1000, True))
    return c


def main():
    url, alice, expired, idle_ms, profile = sys.argv[1:6]
    page = pathlib.Path(__file__).with_name("interop_page.html").resolve()
    frag = urllib.parse.urlencode({"url": url, "alice": alice, "expired": expired, "idle_ms": idle_ms})
    result = asyncio.run(run_page(f"{page.as_uri()}#{frag}", profile))
    if "compression" in result:
        try:
            result["compression"]["rsv1_frames"] = rsv1_frames(profile)
        except (OSError, ValueError, KeyError) as e:
            result["compression"]["rsv1_frames"] = f"no net log: {e}"
    sys.exit(check(result, idle_ms).report())


if __name__ == "__main__":
    main()
