"""The bot itself: ``getMe``, its command lists and its menu button."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jiayi.sandbox.botapi.errors import bad
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.state import ServerState, api


class BotSettingsMixin(ServerState):
    def bot_user(self) -> dict[str, Any]:
        """The bot's ``User`` object as ``getMe`` returns it."""
        return {
            "id": self._bot_id or 123456789,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by ``setMyCommands`` for exactly this scope and language."""
        return [dict(c) for c in self._commands.get(self._command_key(scope, language_code), [])]

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button for the chat (or the default one)."""
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return dict(button) if button else {"type": "default"}

    @staticmethod
    def _command_key(scope: Mapping[str, Any] | None, language_code: str) -> tuple[str, str]:
        normalized: dict[str, Any] = dict(scope) if scope else {"type": "default"}
        chat_id = normalized.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            normalized["chat_id"] = int(chat_id)
        canonical = json.dumps(normalized, sort_keys=True, separators=(",", ":"))
        return canonical, language_code or ""

    def _command_target(self, p: Params) -> tuple[str, str]:
        try:
            scope = p.json("scope")
        except ValueError:
            raise bad("can't parse BotCommandScope JSON object") from None
        if scope is not None and (not isinstance(scope, dict) or "type" not in scope):
            raise bad("can't parse BotCommandScope JSON object")
        if scope and "chat_id" in scope:
            try:
                chat_id = int(scope["chat_id"])
            except (TypeError, ValueError):
                raise bad("chat not found") from None
            if chat_id not in self._chats:
                raise bad("chat not found")
        return self._command_key(scope, p.text("language_code") or "")

    @api("getMe")
    async def _get_me(self, p: Params) -> Any:
        return self.bot_user()

    @api("logOut")
    async def _log_out(self, p: Params) -> Any:
        return True

    @api("close")
    async def _close(self, p: Params) -> Any:
        return True

    @api("setMyCommands")
    async def _set_my_commands(self, p: Params) -> Any:
        try:
            commands = p.json("commands")
        except ValueError:
            raise bad("can't parse commands JSON array") from None
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON array")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse commands JSON array")
            name = str(command.get("command", "")).strip()
            name = name.removeprefix("/").lower()
            description = str(command.get("description", "")).strip()
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_target(p)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    @api("getMyCommands")
    async def _get_my_commands(self, p: Params) -> Any:
        return [dict(c) for c in self._commands.get(self._command_target(p), [])]

    @api("deleteMyCommands")
    async def _delete_my_commands(self, p: Params) -> Any:
        self._commands.pop(self._command_target(p), None)
        return True

    @api("setChatMenuButton")
    async def _set_chat_menu_button(self, p: Params) -> Any:
        chat_id: int | None = None
        if p.get("chat_id") is not None:
            chat_id = self._target_chat(p).user.id
        try:
            button = p.json("menu_button")
        except ValueError:
            raise bad("can't parse menu button JSON object") from None
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button or {"type": "default"}
        return True

    @api("getChatMenuButton")
    async def _get_chat_menu_button(self, p: Params) -> Any:
        chat_id: int | None = None
        if p.get("chat_id") is not None:
            chat_id = self._target_chat(p).user.id
        return self.menu_button(chat_id)
