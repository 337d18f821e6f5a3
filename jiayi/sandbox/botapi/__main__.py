"""`python -m jiayi.sandbox.botapi [--port 8081]`: the Bot API test server on its own, delivering
updates by webhook to http:// URLs too (deploy/try-two-workers.sh uses it)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from jiayi.sandbox.botapi import BotAPIServer


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    server = BotAPIServer()
    server.allow_http_webhooks = True
    print(await server.start(args.host, args.port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
