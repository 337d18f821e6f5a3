"""The web chat: a browser-facing aiohttp app that lets a visitor be a Telegram user.

It only uses the Bot API server's public user-side and inspection API (the same one tests use
through :class:`~sandbox.botapi.ChatClient`), so the emulation knows nothing about browsers.

JSON endpoints (all under ``/api``)::

    GET  /api/personas                    who the visitor can be
    GET  /api/chats/{user_id}             messages, command menu, reply keyboard, clock
    GET  /api/chats/{user_id}/wait?v=...  long poll: returns when the chat's version changes
    POST /api/chats/{user_id}/messages    {"text": "..."}: the user sends a message
    POST /api/chats/{user_id}/presses     {"message_id": n, "data": "..."}: presses a button
    POST /api/chats/{user_id}/contact     presses the keyboard's "share my phone" button
    GET  /api/clock                       the sandbox time
    POST /api/clock                       {"minutes": n}: move time on, run the due jobs
    GET  /files/{file_id}                 a photo or document the bot sent
    POST /console                         opens the centre console as the demo operator
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from jiayi.sandbox.botapi import BotAPIServer, ChatClient, SentMessage
from jiayi.sandbox.web.personas import Persona

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25.0
MAX_ADVANCE = timedelta(days=366)
MAX_TEXT = 4096
STATIC_FILES = {
    "index.html": "text/html",
    "chat.css": "text/css",
    "chat.js": "text/javascript",
}
# Telegram's command scopes a private chat sees, most specific first.
_SCOPES = ("chat", "all_private_chats", "default")
_LANGUAGES = {"zh-hans": "zh", "zh-hant": "zh", "zh": "zh", "en": "en"}


class AdvanceResult(Protocol):
    @property
    def jobs(self) -> list[str]: ...

    @property
    def sent(self) -> int: ...


class ClockControl(Protocol):
    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> Awaitable[AdvanceResult]: ...


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChatWeb:
    def __init__(
        self,
        botapi: BotAPIServer,
        clock: ClockControl,
        personas: Sequence[Persona],
        zone: ZoneInfo,
        console_login: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self.botapi = botapi
        # Mints a one-time sign-in link to the centre console (see Sandbox.console_login).
        self.console_login = console_login
        self.clock = clock
        self.personas = {p.user.id: p for p in personas}
        self.zone = zone
        self._chats = {p.user.id: ChatClient(botapi, p.user) for p in personas}
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/personas", self._personas)
        app.router.add_get("/api/chats/{user_id}", self._chat)
        app.router.add_get("/api/chats/{user_id}/wait", self._wait)
        app.router.add_post("/api/chats/{user_id}/messages", self._send)
        app.router.add_post("/api/chats/{user_id}/presses", self._press)
        app.router.add_post("/api/chats/{user_id}/contact", self._contact)
        app.router.add_get("/api/clock", self._get_clock)
        app.router.add_post("/api/clock", self._advance)
        app.router.add_get("/files/{file_id}", self._file)
        app.router.add_post("/console", self._console)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves the web chat; returns its URL, e.g. ``http://127.0.0.1:8765/``."""
        runner = web.AppRunner(
            self.build_app(), handler_cancellation=True, shutdown_timeout=2.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        return f"http://{bound_host}:{bound_port}/"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------ pages

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return self._static_file(name)

    @staticmethod
    def _static_file(name: str) -> web.Response:
        body = resources.files("jiayi.sandbox.web").joinpath("static", name).read_bytes()
        return web.Response(
            body=body,
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def _console(self, request: web.Request) -> web.StreamResponse:
        """The chat page's "Centre console" button: a fresh one-time link for the demo
        operator, and a 307 so the browser POSTs to it (the console's "Sign in" press)
        and lands on the console signed in. A real operator gets the link from /console."""
        if self.console_login is None:
            raise web.HTTPNotFound()
        return web.Response(status=307, headers={"Location": await self.console_login()})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.botapi.file(request.match_info["file_id"])
        if stored is None or stored.data is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "private, max-age=3600"}
        if stored.kind == "document":
            filename = stored.filename or "file"
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or "application/octet-stream",
            headers=headers,
        )

    # ------------------------------------------------------------------ API

    async def _personas(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([p.to_json() for p in self.personas.values()])

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat_for(request)
        return web.json_response(self.chat_state(chat))

    async def _wait(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat_for(request)
        known = request.query.get("v", "")

        def changed() -> str | None:
            version = self._version(chat)
            return version if version != known else None

        try:
            version = await self.botapi.wait_until(changed, timeout=LONG_POLL_SECONDS)
        except TimeoutError:
            version = self._version(chat)
        return web.json_response({"version": version})

    async def _send(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat_for(request)
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("text must be a non-empty string")
        if len(text) > MAX_TEXT:
            raise _bad_request("text is too long")
        message_id = await chat.send(text.strip())
        return web.json_response({"message_id": message_id})

    async def _contact(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat_for(request)
        # Telegram sends the account's own number, only through a request_contact button.
        phone = self.personas[chat.chat_id].phone
        if phone is None or not self.botapi.requests_contact(chat.chat_id):
            raise _bad_request("no share-phone button is shown")
        message_id = await chat.share_contact(phone)
        return web.json_response({"message_id": message_id})

    async def _press(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat_for(request)
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise _bad_request("message_id (number) and data (string) are required")
        message = self.botapi.message(chat.chat_id, message_id)
        # A Telegram client can only press buttons the message shows right now.
        if message is None or message.deleted:
            raise _bad_request("no such message")
        if data not in (b.callback_data for row in message.buttons for b in row):
            raise _bad_request("the message has no such button")
        query_id = await chat.press_data(data, message=message)
        return web.json_response({"query_id": query_id})

    async def _get_clock(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._clock_json())

    async def _advance(self, request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        minutes = body.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            raise _bad_request("minutes must be a positive whole number")
        delta = timedelta(minutes=minutes)
        if delta > MAX_ADVANCE:
            raise _bad_request("at most a year at a time")
        report = await self.clock.advance(delta)
        return web.json_response({**self._clock_json(), "jobs": report.jobs, "sent": report.sent})

    # ------------------------------------------------------------------ state

    def chat_state(self, chat: ChatClient) -> dict[str, Any]:
        """Everything the page shows for one persona's chat, in chat order."""
        bot = [_bot_message(m) for m in chat.messages() if not m.deleted]
        mine = [_user_message(m) for m in self.botapi.user_messages(chat.chat_id)]
        messages = sorted([*bot, *mine], key=lambda m: int(m["id"]))
        toasts = [
            {"id": a.query_id, "text": a.text, "alert": a.show_alert}
            for a in self.botapi.callback_answers
            if a.chat_id == chat.chat_id and a.text
        ]
        return {
            "version": self._version(chat),
            "persona": self.personas[chat.chat_id].to_json(),
            "messages": messages,
            "toasts": toasts[-20:],
            "commands": self.commands_for(chat),
            "keyboard": chat.reply_keyboard() or [],
            "contact_buttons": self.botapi.requests_contact(chat.chat_id),
            "clock": self._clock_json(),
        }

    def commands_for(self, chat: ChatClient) -> list[dict[str, Any]]:
        """The command menu Telegram would show this user: the most specific scope and the
        user's language first, falling back as Telegram does."""
        language = _LANGUAGES.get((chat.user.language_code or "").lower(), "")
        for kind in _SCOPES:
            scope: dict[str, Any] = {"type": kind}
            if kind == "chat":
                scope["chat_id"] = chat.chat_id
            for code in (language, "") if language else ("",):
                commands = self.botapi.commands(scope, code)
                if commands:
                    return commands
        return []

    def _version(self, chat: ChatClient) -> str:
        answers = sum(1 for a in self.botapi.callback_answers if a.chat_id == chat.chat_id)
        mine = len(self.botapi.user_messages(chat.chat_id))
        events = self.botapi.events(chat.chat_id)
        last = events[-1].seq if events else 0
        return f"{last}.{mine}.{answers}.{int(self.clock.now().timestamp())}"

    def _clock_json(self) -> dict[str, Any]:
        now = self.clock.now()
        local = now.astimezone(self.zone)
        return {
            "utc": now.isoformat(),
            "local": local.strftime("%Y-%m-%d %H:%M"),
            "weekday": local.strftime("%a"),
            "zone": str(self.zone),
        }

    def _chat_for(self, request: web.Request) -> ChatClient:
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        chat = self._chats.get(user_id)
        if chat is None:
            raise web.HTTPNotFound()
        return chat


def _bot_message(message: SentMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.message_id,
        "from": "bot",
        "kind": message.kind,
        "text": message.text,
        "entities": message.entities,
        "edited": message.edited,
        "buttons": [
            [{"text": b.text, "data": b.callback_data, "url": b.url} for b in row]
            for row in message.buttons
        ],
    }
    if message.file is not None:
        data["file"] = {
            "url": f"/files/{quote(message.file.file_id)}" if message.file.data else None,
            "name": message.file.filename,
            "mime": message.file.mime_type,
            "size": message.file.size,
            "width": message.file.width,
            "height": message.file.height,
        }
    return data


def _user_message(message: dict[str, Any]) -> dict[str, Any]:
    text = message.get("text", "")
    contact = message.get("contact")
    if isinstance(contact, dict):
        number = str(contact.get("phone_number", "")).lstrip("+")
        text = f"📱 {contact.get('first_name', '')} +{number}"
    return {"id": message["message_id"], "from": "user", "text": text}


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad_request("expected a JSON object") from None
    if not isinstance(body, dict):
        raise _bad_request("expected a JSON object")
    return body
