"""The Bot API test server delivers updates by webhook, as Telegram does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from jiayi.sandbox.botapi import BotAPIServer, TgUser

TOKEN = "123456789:TEST-token-for-webhooks"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]], list[str]]]:
    """A webhook endpoint that refuses each update once (500), then accepts it."""
    received: list[dict[str, Any]] = []
    secrets: list[str] = []
    refused: set[int] = set()

    async def handle(request: web.Request) -> web.Response:
        update = await request.json()
        secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))
        if update["update_id"] not in refused:
            refused.add(update["update_id"])
            return web.Response(status=500)
        received.append(update)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/hook", received, secrets
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_retried_and_kept_in_order(
    receiver: tuple[str, list[dict[str, Any]], list[str]],
) -> None:
    """Mutation tried: `_post_update` dropping the update whatever the status — the refused
    first attempts are never retried and nothing is received. And: no per-chat ordering
    (`waiting_chats` check removed) — the second is posted before the first is accepted."""
    url, received, secrets = receiver
    user = TgUser(id=55, first_name="Hook")
    async with BotAPIServer() as server:
        server.allow_http_webhooks = True
        async with aiohttp.ClientSession() as session:
            call = f"{server.base_url}/bot{TOKEN}/setWebhook"
            async with session.post(call, json={"url": url, "secret_token": "s3cret"}) as r:
                assert (await r.json())["ok"] is True
        await server.push_message(user, "first")
        await server.push_message(user, "second")
        await server.wait_until(
            lambda: True if len(received) == 2 and not server.pending_updates else None,
            timeout=10,
        )
        assert [u["message"]["text"] for u in received] == ["first", "second"]
        assert set(secrets) == {"s3cret"}
        assert [d.status for d in server.webhook_deliveries] == [500, 200, 500, 200]
