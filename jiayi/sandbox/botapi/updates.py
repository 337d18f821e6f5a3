"""Getting updates: long polling (``getUpdates``) and webhooks, with their delivery.

Updates queued while a webhook is set are POSTed to it, as Telegram does: the update as
the JSON body, the secret in X-Telegram-Bot-Api-Secret-Token, up to max_connections at
once, one at a time per chat (a chat's next update waits for the previous one's 2xx),
retried after a failure. Every request uses a new connection, so workers sharing a
port (SO_REUSEPORT) each get a share.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

from jiayi.sandbox.botapi.errors import POLL_CONFLICT, WEBHOOK_CONFLICT, TelegramError, bad
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.state import ServerState, Webhook, WebhookDelivery, api

logger = logging.getLogger(__name__)


class UpdatesMixin(ServerState):
    WEBHOOK_RETRY_SECONDS: Final = 0.5

    def _start_webhook_delivery(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_webhooks(self) -> None:
        import aiohttp

        in_flight: dict[int, asyncio.Task[None]] = {}
        retry_at: dict[int, float] = {}
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while self._webhook is not None and not self._closing:
                    webhook = self._webhook
                    now = time.monotonic()
                    waiting_chats: set[object] = set()
                    for update in list(self._updates):
                        if len(in_flight) >= webhook.max_connections:
                            break
                        chat = update_chat(update)
                        if chat in waiting_chats:
                            continue  # an earlier update of this chat is not acknowledged yet
                        waiting_chats.add(chat)
                        update_id = update["update_id"]
                        if update_id in in_flight or retry_at.get(update_id, 0.0) > now:
                            continue
                        in_flight[update_id] = asyncio.create_task(
                            self._post_update(session, webhook.url, update, retry_at)
                        )

                        def forget(_task: asyncio.Task[None], uid: int = update_id) -> None:
                            in_flight.pop(uid, None)

                        in_flight[update_id].add_done_callback(forget)
                    async with self._cond:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(self.WEBHOOK_RETRY_SECONDS):
                                await self._cond.wait()
            finally:
                for task in list(in_flight.values()):
                    task.cancel()
                await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _post_update(
        self, session: Any, url: str, update: dict[str, Any], retry_at: dict[int, float]
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        update_id = update["update_id"]
        started = time.monotonic()
        status = 0
        worker = None
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as response:
                status = response.status
                worker = response.headers.get("X-Jiayi-Worker")
                await response.read()
        except Exception as error:  # a worker that is down: retry, as Telegram does
            logger.debug("webhook delivery of update %s failed: %r", update_id, error)
        finished = time.monotonic()
        if 200 <= status < 300:
            self._updates = [u for u in self._updates if u["update_id"] != update_id]
            retry_at.pop(update_id, None)
        else:
            retry_at[update_id] = finished + self.WEBHOOK_RETRY_SECONDS
        if status:
            self.webhook_deliveries.append(
                WebhookDelivery(
                    update_id=update_id,
                    chat=update_chat(update),
                    status=status,
                    worker=worker,
                    seconds=finished - started,
                )
            )
        await self._notify()

    @api("getUpdates")
    async def _get_updates(self, p: Params) -> Any:
        if self._webhook is not None:
            raise TelegramError(409, WEBHOOK_CONFLICT)
        try:
            offset = p.integer("offset") or 0
            limit = p.integer("limit") or 100
            timeout = p.integer("timeout") or 0
            allowed = p.json("allowed_updates")
        except ValueError:
            raise bad("invalid getUpdates parameters") from None
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed_updates JSON array")
            self._allowed_updates = [str(kind) for kind in allowed]
        limit = min(max(limit, 1), 100)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        if self._waiting_polls:
            await self._notify()  # terminate the older long poll, as Telegram does
        if not self._updates and timeout > 0 and not self._closing:

            def ready() -> bool:
                return bool(
                    self._updates
                    or self._closing
                    or self._webhook is not None
                    or self._poll_generation != generation
                )

            try:
                async with asyncio.timeout(timeout), self._cond:
                    self._waiting_polls += 1
                    self._cond.notify_all()
                    try:
                        await self._cond.wait_for(ready)
                    finally:
                        self._waiting_polls -= 1
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise TelegramError(409, POLL_CONFLICT)
            if self._webhook is not None:
                raise TelegramError(409, WEBHOOK_CONFLICT)
        return self._updates[:limit]

    @api("setWebhook")
    async def _set_webhook(self, p: Params) -> Any:
        url = (p.text("url") or "").strip()
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        if not url:
            self._webhook = None
            return True
        if not url.lower().startswith("https://") and not self.allow_http_webhooks:
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        try:
            allowed = p.json("allowed_updates")
            max_connections = p.integer("max_connections") or 40
        except ValueError:
            raise bad("invalid webhook parameters") from None
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._webhook = Webhook(
            url=url, max_connections=max_connections, has_secret=bool(p.get("secret_token"))
        )
        self._webhook_secret = p.text("secret_token")
        self._start_webhook_delivery()
        await self._notify()
        return True

    @api("deleteWebhook")
    async def _delete_webhook(self, p: Params) -> Any:
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    @api("getWebhookInfo")
    async def _get_webhook_info(self, p: Params) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info


def update_chat(update: Mapping[str, Any]) -> object:
    """The chat an update belongs to (its ordering key), or its own id if it has none."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, Mapping):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, Mapping) and "id" in chat:
            return chat["id"]
        sender = value.get("from")
        if isinstance(sender, Mapping) and "id" in sender:
            return sender["id"]
    return ("update", update.get("update_id"))
