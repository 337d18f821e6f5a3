"""The Bot API test server driven by a real aiogram Bot over HTTP (no mocks): what the bot
sends and how the server answers — identity and the raw HTTP contract, messages, files,
keyboards, edits and deletes, commands and the menu, injected failures."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from tests.sandbox.botapi_support import keyboard, tiny_png
from tests.sandbox.conftest import BOT_ID, make_bot

pytestmark = pytest.mark.asyncio


# ---------------------------------------------------------------------- identity / transport


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == "jiayi_test_bot"
    assert me.first_name == "Jiayi Test Bot"


async def test_other_bot_token_is_unauthorized(server: BotAPIServer, bot: Bot) -> None:
    other = make_bot(server, token="42:another-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await other.get_me()
    finally:
        await other.session.close()


async def test_raw_http_contract(server: BotAPIServer, chat: ChatClient) -> None:
    base = server.base_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/botnot-a-token/getMe") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.post(f"{base}/bot{server.token}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found"
        async with http.get(f"{base}/bot{server.token}/GETME") as resp:
            body = await resp.json()
            assert resp.status == 200
            assert body["ok"] is True
            assert body["result"]["id"] == BOT_ID
        payload = {"chat_id": chat.chat_id, "text": "<i>json</i>", "parse_mode": "HTML"}
        async with http.post(f"{base}/bot{server.token}/sendMessage", json=payload) as resp:
            body = await resp.json()
            assert body["result"]["text"] == "json"
        query = {"chat_id": str(chat.chat_id), "text": "query string"}
        async with http.get(f"{base}/bot{server.token}/sendmessage", params=query) as resp:
            assert (await resp.json())["result"]["text"] == "query string"
    assert [m.text for m in chat.messages()] == ["json", "query string"]
    assert server.find_requests("sendMessage")[0].method == "sendMessage"


# ---------------------------------------------------------------------- sending


async def test_html_message_with_inline_keyboard_round_trips(bot: Bot, chat: ChatClient) -> None:
    html = "<b>您好</b>，欢迎 &lt;家医&gt; &amp; <a href='https://example.org'>说明</a>"
    sent = await bot.send_message(
        chat.chat_id,
        html,
        parse_mode="HTML",
        reply_markup=keyboard([("订阅", "sub:1"), ("退订", "unsub:1")], [("帮助", "help")]),
    )

    assert isinstance(sent, Message)
    assert sent.text == "您好，欢迎 <家医> & 说明"
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.chat.id == chat.chat_id
    assert sent.chat.type == "private"
    assert sent.entities is not None
    assert [e.type for e in sent.entities] == ["bold", "text_link"]
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "unsub:1"

    last = chat.last()
    assert last.message_id == sent.message_id
    assert last.kind == "text"
    assert last.text == "您好，欢迎 <家医> & 说明"
    assert last.html == html
    assert last.button_texts() == ["订阅", "退订", "帮助"]
    assert last.button("帮助").callback_data == "help"
    assert [[b.text for b in row] for row in last.buttons] == [["订阅", "退订"], ["帮助"]]


async def test_message_ids_are_per_chat_and_shared_with_user_messages(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    other = ChatClient(server, TgUser(id=2002, first_name="Other"))
    first_user = await chat.send("hi")
    reply = await bot.send_message(chat.chat_id, "hello")
    await other.send("hey")
    other_reply = await bot.send_message(other.chat_id, "hello other")
    assert reply.message_id == first_user + 1
    assert other_reply.message_id == 2
    assert reply.date.timestamp() == pytest.approx(time.time(), abs=60)


async def test_reply_parameters_and_send_options(bot: Bot, chat: ChatClient) -> None:
    user_message_id = await chat.send("我想预约")
    sent = await bot.send_message(
        chat.chat_id,
        "好的 https://example.org",
        reply_parameters=ReplyParameters(message_id=user_message_id),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        disable_notification=True,
    )
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "我想预约"
    stored = chat.last()
    assert stored.reply_to_message_id == user_message_id
    assert stored.disable_notification
    assert stored.link_preview_options == {"is_disabled": True}
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(
            chat.chat_id, "x", reply_parameters=ReplyParameters(message_id=9999)
        )
    # Bots may delete the user's messages in private chats.
    assert await bot.delete_message(chat.chat_id, user_message_id)


async def test_unsupported_html_tag_is_rejected(bot: Bot, chat: ChatClient) -> None:
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div" at byte offset 3'):
        await bot.send_message(chat.chat_id, "Hi <div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag"):
        await bot.send_message(chat.chat_id, "<b>unclosed", parse_mode="HTML")
    assert chat.messages() == []


async def test_text_length_is_checked_after_entity_parsing(bot: Bot, chat: ChatClient) -> None:
    exactly = await bot.send_message(chat.chat_id, f"<b>{'长' * 4096}</b>", parse_mode="HTML")
    assert len(exactly.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(chat.chat_id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(chat.chat_id, "<b> </b>", parse_mode="HTML")


async def test_callback_data_and_button_type_are_validated(bot: Bot, chat: ChatClient) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(chat.chat_id, "x", reply_markup=keyboard([("a", "d" * 65)]))
    # 64 bytes is fine even when made of multi-byte characters (21 × 3 bytes + 1).
    ok = await bot.send_message(chat.chat_id, "x", reply_markup=keyboard([("a", "订" * 21 + "x")]))
    assert ok.reply_markup is not None
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(chat.chat_id, "x", reply_markup=keyboard([("a", "订" * 22)]))
    no_action = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="nothing")]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_TYPE_INVALID"):
        await bot.send_message(chat.chat_id, "x", reply_markup=no_action)


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(999_999, "hello?")


async def test_reply_keyboard_and_removal(bot: Bot, chat: ChatClient) -> None:
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="是"), KeyboardButton(text="否")]], resize_keyboard=True
    )
    sent = await bot.send_message(chat.chat_id, "确认？", reply_markup=markup)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    assert chat.last().keyboard == [["是", "否"]]
    assert chat.reply_keyboard() == [["是", "否"]]
    await bot.send_message(chat.chat_id, "好的", reply_markup=ReplyKeyboardRemove())
    assert chat.reply_keyboard() is None


async def test_send_document_stores_bytes_and_filename(bot: Bot, chat: ChatClient) -> None:
    payload = b"%PDF-1.4 fake report"
    sent = await bot.send_document(
        chat.chat_id,
        BufferedInputFile(payload, filename="报告.pdf"),
        caption="<b>体检报告</b>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_name == "报告.pdf"
    assert sent.document.file_size == len(payload)
    assert sent.document.mime_type == "application/pdf"
    assert sent.caption == "体检报告"

    stored = chat.last()
    assert stored.kind == "document"
    assert stored.file_bytes == payload
    assert stored.filename == "报告.pdf"
    assert stored.mime_type == "application/pdf"
    assert stored.text == "体检报告"

    again = await bot.send_document(chat.chat_id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == sent.document.file_unique_id
    assert chat.last().file_bytes == payload
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(chat.chat_id, "no-such-file-id")


async def test_send_photo_and_caption_limit(bot: Bot, chat: ChatClient) -> None:
    image = tiny_png(3, 2)
    sent = await bot.send_photo(chat.chat_id, BufferedInputFile(image, filename="qr.png"))
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert chat.last().kind == "photo"
    assert chat.last().file_bytes == image
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(chat.chat_id, BufferedInputFile(b"not an image", filename="x.png"))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(
            chat.chat_id, BufferedInputFile(image, filename="qr.png"), caption="c" * 1025
        )


# ---------------------------------------------------------------------- edits / deletes


async def test_edit_message_text_and_not_modified(bot: Bot, chat: ChatClient) -> None:
    markup = keyboard([("确认", "ok")])
    sent = await bot.send_message(
        chat.chat_id, "<b>原文</b>", parse_mode="HTML", reply_markup=markup
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="<strong>原文</strong>",
            chat_id=chat.chat_id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    edited = await bot.edit_message_text(
        text="新的内容", chat_id=chat.chat_id, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert edited.text == "新的内容"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # omitting reply_markup removes the keyboard

    current = chat.messages()[-1]
    assert current.edited
    assert current.text == "新的内容"
    assert current.buttons == []

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=chat.chat_id, message_id=9999)


async def test_edit_reply_markup_not_modified(bot: Bot, chat: ChatClient) -> None:
    sent = await bot.send_message(chat.chat_id, "选择", reply_markup=keyboard([("A", "a")]))
    changed = await bot.edit_message_reply_markup(
        chat_id=chat.chat_id, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
    )
    assert isinstance(changed, Message)
    assert chat.last().button_texts() == ["B"]
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=chat.chat_id, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
        )


async def test_delete_message(bot: Bot, chat: ChatClient) -> None:
    first = await bot.send_message(chat.chat_id, "one")
    await bot.send_message(chat.chat_id, "two")
    assert await bot.delete_message(chat.chat_id, first.message_id + 1)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(chat.chat_id, first.message_id + 1)
    assert [(m.text, m.deleted) for m in chat.messages()] == [("one", False), ("two", True)]
    assert chat.last().text == "one"
    assert [e.kind for e in chat.server.events(chat.chat_id)] == ["send", "send", "delete"]


# ---------------------------------------------------------------------- commands / menu


async def test_set_my_commands_per_language_and_scope(server: BotAPIServer, bot: Bot) -> None:
    default = [BotCommand(command="start", description="Start")]
    chinese = [
        BotCommand(command="start", description="开始"),
        BotCommand(command="stop", description="退订"),
    ]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands(chinese, language_code="zh")
    assert await bot.set_my_commands(chinese, scope=BotCommandScopeAllPrivateChats())

    assert server.commands() == [{"command": "start", "description": "Start"}]
    assert [c["description"] for c in server.commands(language_code="zh")] == ["开始", "退订"]
    assert len(server.commands({"type": "all_private_chats"})) == 2
    assert server.commands(language_code="en") == []
    fetched = await bot.get_my_commands(language_code="zh")
    assert [c.command for c in fetched] == ["start", "stop"]

    assert await bot.delete_my_commands(language_code="zh")
    assert server.commands(language_code="zh") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_menu_button_and_chat_action(bot: Bot, chat: ChatClient) -> None:
    assert (await bot.get_chat_menu_button()).type == "default"
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert (await bot.get_chat_menu_button(chat_id=chat.chat_id)).type == "commands"
    assert await bot.send_chat_action(chat.chat_id, "typing")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_chat_action(424242, "typing")


# ---------------------------------------------------------------------- error injection


async def test_blocked_then_cleared(server: BotAPIServer, bot: Bot, chat: ChatClient) -> None:
    server.fail(chat.chat_id, "blocked")
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(chat.chat_id, "push")
    server.clear_failures(chat.chat_id)
    assert (await bot.send_message(chat.chat_id, "push")).text == "push"
    statuses = [r.status for r in server.find_requests("sendMessage", chat.chat_id)]
    assert statuses == [403, 403, 200]


async def test_flood_carries_retry_after(server: BotAPIServer, bot: Bot, chat: ChatClient) -> None:
    server.fail(chat.chat_id, "flood", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as excinfo:
        await bot.send_message(chat.chat_id, "push")
    assert excinfo.value.retry_after == 3
    assert "retry after 3" in excinfo.value.message


async def test_times_limits_injected_failures(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    other = TgUser(id=3003, first_name="Unaffected")
    server.open_chat(other)
    server.fail(chat.chat_id, "server_error", times=1)
    assert (await bot.send_message(other.id, "fine")).text == "fine"
    with pytest.raises(TelegramServerError):
        await bot.send_message(chat.chat_id, "first")
    assert (await bot.send_message(chat.chat_id, "second")).text == "second"

    server.fail(chat.chat_id, "deactivated", times=2)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
            await bot.send_message(chat.chat_id, "x")
    assert (await bot.send_message(chat.chat_id, "third")).text == "third"
    server.fail(chat.chat_id, "bad_request", times=1)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(chat.chat_id, "x")
    assert [m.text for m in chat.messages()] == ["second", "third"]


async def test_requests_are_recorded_with_monotonic_timestamps(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    before = time.monotonic()
    for index in range(3):
        await bot.send_message(chat.chat_id, f"msg {index}")
    after = time.monotonic()
    recorded = server.find_requests("sendMessage", chat.chat_id)
    assert len(recorded) == 3
    stamps = [r.at for r in recorded]
    assert stamps == sorted(stamps)
    assert before <= stamps[0]
    assert stamps[-1] <= after
    assert all(r.ok and r.wall.tzinfo is not None for r in recorded)
    assert recorded[0].params["text"] == "msg 0"
