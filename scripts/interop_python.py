"""The interop flows with the Python `websockets` library (Debian's
python3-websockets, run by /usr/bin/python3), written in the style of the
product document's Python ChatClient: one client object per connection,
JSON messages, token in the query, the Authorization header or a
subprotocol, or LOGIN after connecting without one.

Every message received is recorded, and interop_checks.py asserts on the
record.

usage: interop_python.py WS_URL ALICE_TOKEN EXPIRED_TOKEN IDLE_MS
"""
import asyncio
import json
import sys
import urllib.parse

import websockets
from websockets.extensions import permessage_deflate

from interop_checks import LONG_TEXT, check_record

TIMEOUT = 5

# Counts the frames that arrive with RSV1 (compressed), seen where the
# permessage-deflate extension decodes them.
RSV1 = {"frames": 0}
_decode = permessage_deflate.PerMessageDeflate.decode


def _counting_decode(self, frame, *, max_size=None):
    if frame.rsv1:
        RSV1["frames"] += 1
    return _decode(self, frame, max_size=max_size)


permessage_deflate.PerMessageDeflate.decode = _counting_decode


class ChatClient:
    def __init__(self, server_url, device_id="python_client"):
        self.server_url = server_url
        self.device_id = device_id
        self.websocket = None

    async def connect_with_token(self, token):
        """Token in the query string, as the product document does."""
        url = f"{self.server_url}?token={urllib.parse.quote(token)}&device_id={self.device_id}&platform=python"
        self.websocket = await websockets.connect(url)
        return await self.receive()

    async def connect_with_header(self, token):
        """Token in an Authorization: Bearer header."""
        self.websocket = await websockets.connect(self.server_url,
                                                  extra_headers={"Authorization": f"Bearer {token}"})
        return await self.receive()

    async def connect_with_subprotocol(self, token):
        """Token as a bearer.JWT subprotocol, beside gateway.v1."""
        self.websocket = await websockets.connect(self.server_url, subprotocols=["gateway.v1", f"bearer.{token}"])
        return await self.receive()

    async def connect(self, url=None):
        """No token: the first frame invites a LOGIN."""
        self.websocket = await websockets.connect(url or self.server_url)
        return await self.receive()

    async def login(self, username, password, seq):
        login_msg = {
            "cmd_id": 1001,
            "seq": seq,
            "from_uid": username,
            "device_id": self.device_id,
            "platform": "python",
            "body": {"username": username, "password": password},
        }
        return await self.request(login_msg)

    async def send_message(self, to_uid, content, seq):
        return await self.request({"cmd_id": 2001, "seq": seq, "body": {"to_uid": to_uid, "content": content}})

    async def heartbeat(self, seq):
        return await self.request({"cmd_id": 1003, "seq": seq, "body": {}})

    async def request(self, msg):
        """Sends msg and returns the response that echoes its cmd_id and seq."""
        await self.websocket.send(json.dumps(msg))
        while True:
            response = await self.receive()
            if response.get("cmd_id") == msg["cmd_id"] and response.get("seq") == msg["seq"]:
                return response

    async def receive(self):
        return json.loads(await asyncio.wait_for(self.websocket.recv(), TIMEOUT))

    async def ping(self, payload):
        """A WebSocket ping; websockets resolves the waiter only on a pong
        that carries the same payload."""
        pong = await self.websocket.ping(payload.encode())
        await asyncio.wait_for(pong, TIMEOUT)
        return payload

    async def close(self):
        await self.websocket.close(1000, "bye")
        return self.websocket.close_code


async def flows(url, alice_token, expired_token, idle_ms):
    r = {}
    alice = ChatClient(url, "python-a")
    r["token_query"] = await alice.connect_with_token(alice_token)
    header = ChatClient(url)
    r["token_header"] = await header.connect_with_header(alice_token)
    sub = ChatClient(url)
    r["token_subprotocol"] = {"first": await sub.connect_with_subprotocol(alice_token),
                              "protocol": sub.websocket.subprotocol}

    anon = ChatClient(url, "python-u")
    r["anonymous"] = {"first": await anon.connect(), "login": await anon.login("user123", "password123", 1)}
    again = ChatClient(url, "python-u")
    r["token_from_login"] = await again.connect_with_token(r["anonymous"]["login"]["body"]["access_token"])

    bob = ChatClient(url, "python-b")
    r["invalid_then_login"] = {"first": await bob.connect(f"{url}?token=garbage"),
                               "login": await bob.login("bob", "bob123", 1)}

    response = await alice.send_message("bob", {"text": "hi from python"}, 1)
    r["send"] = {"response": response, "push": await bob.receive()}
    await alice.send_message("bob", {"text": LONG_TEXT}, 5)
    r["compression"] = {"extensions": bob.websocket.response_headers.get("Sec-WebSocket-Extensions"),
                        "push": await bob.receive(), "rsv1_frames": RSV1["frames"]}
    r["pong"] = await alice.ping("python-ping")

    # Silence longer than -idle-timeout: websockets answers the server's pings.
    await asyncio.sleep(int(idle_ms) / 1000)
    r["keepalive"] = [await alice.heartbeat(2), await bob.heartbeat(2)]

    expired = ChatClient(url, "python-x")
    r["expired"] = await expired.connect_with_token(expired_token)

    r["close"] = [await c.close() for c in (alice, header, sub, anon, again, bob, expired)]
    return r


def main():
    url, alice_token, expired_token, idle_ms = sys.argv[1:5]
    try:
        record = asyncio.run(flows(url, alice_token, expired_token, idle_ms))
    except Exception as e:  # noqa: BLE001 - any failure is reported as the check result
        record = {"error": f"{type(e).__name__}: {e}"}
    sys.exit(check_record("python", record, idle_ms).report())


if __name__ == "__main__":
    main()
