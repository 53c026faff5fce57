"""wss:// interop with Python websockets: a CA-verified TLS context, the
token in the query, the Authorization header and the subprotocol, login
without a token, delivery between two sessions, ping/pong, a normal close.
With "fingerprint" it prints the SHA-256 fingerprint of the certificate the
server presents (for the reload check).

usage: interop_wss.py check WSS_URL CA_PEM TOKEN_ALICE TOKEN_BOB
       interop_wss.py fingerprint HOST PORT
"""
import asyncio
import hashlib
import json
import socket
import ssl
import sys

import websockets


def connect(url, ctx, headers=None, subprotocols=None):
    kw = {"ssl": ctx}
    if subprotocols:
        kw["subprotocols"] = subprotocols
    if headers:
        # websockets < 14 calls them extra_headers, later versions additional_headers.
        major = int(websockets.__version__.split(".")[0])
        kw["additional_headers" if major >= 14 else "extra_headers"] = headers
    return websockets.connect(url, **kw)


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


def expect(cond, what):
    if not cond:
        print("python wss:", what, file=sys.stderr)
        sys.exit(1)


async def check(base, ca, alice, bob):
    ctx = ssl.create_default_context(cafile=ca)
    async with connect(f"{base}/?token={alice}&device_id=py1&platform=web", ctx) as a:
        m = await recv_json(a)
        expect(m["code"] == 200 and m["body"]["user_id"] == "alice", f"query token: {m}")
        async with connect(f"{base}/?device_id=py2", ctx, headers={"Authorization": f"Bearer {bob}"}) as b:
            m = await recv_json(b)
            expect(m["code"] == 200 and m["body"]["user_id"] == "bob", f"header token: {m}")
            await a.send(json.dumps({"cmd_id": 2001, "seq": 1, "body": {"to_uid": "bob", "content": {"text": "hi over wss"}}}))
            r = await recv_json(a)
            expect(r.get("cmd_id") == 2001 and r["code"] == 200 and r["body"]["delivered"] >= 1, f"send response: {r}")
            p = await recv_json(b)
            expect(p.get("cmd_id") == 3001 and p["body"]["content"]["text"] == "hi over wss", f"push: {p}")
            pong = await b.ping(b"interop")
            await asyncio.wait_for(pong, 5)
        expect(b.close_code == 1000, f"close code {b.close_code}")
    async with connect(f"{base}/", ctx, subprotocols=["gateway.v1", f"bearer.{alice}"]) as c:
        m = await recv_json(c)
        expect(m["code"] == 200 and c.subprotocol == "gateway.v1", f"subprotocol token: {m} {c.subprotocol}")
    async with connect(f"{base}/", ctx) as d:
        m = await recv_json(d)
        expect(m["body"]["message"] == "Connected successfully. Please login or provide token.", f"no token: {m}")
        await d.send(json.dumps({"cmd_id": 1001, "seq": 1, "body": {"username": "bob", "password": "bob123"}}))
        r = await recv_json(d)
        expect(r["code"] == 200 and r["body"]["message"] == "Login successful", f"login: {r}")
    print("python websockets over wss: ok")


def fingerprint(host, port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, int(port)), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            print(hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest())


if __name__ == "__main__":
    if sys.argv[1] == "fingerprint":
        fingerprint(*sys.argv[2:4])
    else:
        asyncio.run(check(*sys.argv[2:6]))
