"""Runs the product document's Python ChatClient, unchanged, against a gateway.

The class is taken verbatim from the seed's Python example (everything before
its usage example) and driven by this harness: connect_with_token with a
valid token, and connect_and_login('user123', 'password123'). Each flow
listens for a few seconds (the seed's client listens forever), then the
printed lines are checked.

usage: seed_python.py SEED_MD WS_URL TOKEN
"""
import asyncio
import contextlib
import io
import re
import sys


def seed_client_source(md_path):
    text = open(md_path, encoding="utf-8").read()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    return block.split("# 使用示例")[0]


async def run_flow(coro, seconds=3):
    try:
        await asyncio.wait_for(coro, seconds)
    except asyncio.TimeoutError:
        pass  # the seed's client listens until the server closes


def main():
    md, url, token = sys.argv[1:4]
    namespace = {}
    exec(compile(seed_client_source(md), "seed-python-client", "exec"), namespace)
    ChatClient = namespace["ChatClient"]

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        asyncio.run(run_flow(ChatClient(url).connect_with_token(token)))
        asyncio.run(run_flow(ChatClient(url).connect_and_login("user123", "password123")))
    printed = out.getvalue()
    # The seed's client prints whole replies; CI logs get them without the
    # tokens (JWTs and the opaque refresh tokens).
    sys.stdout.write(re.sub(r"('(?:access|refresh)_token': ')[^']*", r"\1<redacted>", printed))
    want = [
        "Connected with token",
        "Success: Connected and authenticated successfully",
        "Connected, sending login...",
        "'message': 'Connected successfully. Please login or provide token.'",
        "'message': 'Login successful'",
    ]
    missing = [w for w in want if w not in printed]
    if missing:
        print("seed python client: missing output:", missing, file=sys.stderr)
        sys.exit(1)
    print("seed python client: ok")


if __name__ == "__main__":
    main()
