"""The Bot API test server driven by a real aiogram Bot over HTTP (no mocks): what reaches the
bot — long polling, offsets, webhooks, blocking, button presses and their answers — and the
chat client's helpers, up to a dispatcher polling the server."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError, TelegramForbiddenError
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message, Update

from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from tests.sandbox.botapi_support import keyboard, wait_for_poll

pytestmark = pytest.mark.asyncio


# ---------------------------------------------------------------------- updates


async def test_long_poll_returns_when_user_sends(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await wait_for_poll(server)
    await chat.send("/start doc_abc")
    updates = await asyncio.wait_for(poll, timeout=10)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start doc_abc"
    assert message.from_user is not None
    assert message.from_user.language_code == "zh-hans"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].length) == ("bot_command", 6)


async def test_empty_long_poll_times_out_with_empty_list(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == []


async def test_offset_confirms_updates(server: BotAPIServer, bot: Bot, chat: ChatClient) -> None:
    await chat.send("one")
    await chat.send("two")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["one", "two"]
    assert updates[1].update_id == updates[0].update_id + 1
    assert len(await bot.get_updates()) == 2  # not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []
    assert server.pending_updates == []
    await chat.send("three")
    assert [u.message.text for u in await bot.get_updates(limit=5) if u.message] == ["three"]


async def test_newer_get_updates_terminates_older(server: BotAPIServer, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=20))
    await wait_for_poll(server)
    assert await bot.get_updates() == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, timeout=10)


async def test_webhook_blocks_get_updates(server: BotAPIServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("http://insecure.example/hook")
    assert await bot.set_webhook("https://example.org/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == []


async def test_delete_webhook_drops_pending_updates(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    await chat.send("stale")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []


async def test_block_sends_my_chat_member_update(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    await chat.block()
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(chat.chat_id, "still there?")
    await chat.unblock()
    assert (await bot.send_message(chat.chat_id, "welcome back")).text == "welcome back"


# ---------------------------------------------------------------------- callbacks


async def test_press_produces_callback_query_aiogram_parses(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    sent = await bot.send_message(
        chat.chat_id, "订阅吗？", reply_markup=keyboard([("是", "sub:yes")])
    )
    query_id = await chat.press("是")

    raw = server.pending_updates[-1]
    update = Update.model_validate(raw, context={"bot": bot})
    query = update.callback_query
    assert isinstance(query, CallbackQuery)
    assert query.id == query_id
    assert query.data == "sub:yes"
    assert query.from_user.id == chat.user.id
    assert query.chat_instance
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "订阅吗？"
    assert query.message.reply_markup is not None

    with pytest.raises(AssertionError, match=r"available buttons: \{\d+: \['是'\]\}"):
        await chat.press("否")


async def test_answer_callback_query_recorded_once(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    await bot.send_message(chat.chat_id, "?", reply_markup=keyboard([("好", "ok")]))
    query_id = await chat.press("好")
    assert await bot.answer_callback_query(query_id, text="已保存", show_alert=True)
    answer = await chat.callback_answer(query_id)
    assert (answer.text, answer.show_alert, answer.chat_id) == ("已保存", True, chat.chat_id)
    assert server.callback_answers == [answer]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("123")


async def test_press_data_can_forge_and_hit_deleted_messages(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    await bot.send_message(chat.chat_id, "old", reply_markup=keyboard([("x", "x")]))
    sent = chat.last()
    await chat.press_data("forged:1")
    await bot.delete_message(chat.chat_id, sent.message_id)
    await chat.press_data("stale:1", message=sent)
    first, second = await bot.get_updates()
    assert first.callback_query is not None
    assert first.callback_query.data == "forged:1"
    assert second.callback_query is not None
    assert second.callback_query.data == "stale:1"
    # A deleted message arrives as an InaccessibleMessage (date 0).
    assert second.callback_query.message is not None
    assert not isinstance(second.callback_query.message, Message)


# ---------------------------------------------------------------------- client helpers


async def test_wait_reply_and_wait_for(bot: Bot, chat: ChatClient) -> None:
    await chat.send("hi")
    await bot.send_message(chat.chat_id, "first")
    sent = await bot.send_message(chat.chat_id, "second", reply_markup=keyboard([("ok", "ok")]))
    await bot.edit_message_text(
        text="second, edited", chat_id=chat.chat_id, message_id=sent.message_id
    )

    assert (await chat.wait_reply()).text == "first"
    assert (await chat.wait_reply()).text == "second, edited"  # current state
    assert (await chat.wait_reply()).edited
    assert (await chat.wait_for("second")).text == "second"  # first matching snapshot
    found = await chat.wait_for(predicate=lambda m: m.edited)
    assert found.message_id == sent.message_id

    await chat.send("again")
    with pytest.raises(AssertionError, match="did not send 'first'") as excinfo:
        await chat.wait_for("first", timeout=0.05)
    assert "second, edited" in str(excinfo.value)  # transcript in the failure


async def test_dispatcher_polling_handles_start(
    server: BotAPIServer, bot: Bot, chat: ChatClient
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"欢迎 <b>{command.args}</b>", parse_mode="HTML")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=20)
    )
    try:
        await chat.send("/start doc_abc")
        reply = await chat.wait_for("欢迎 doc_abc")
        assert reply.entities == [{"offset": 3, "length": 7, "type": "bold"}]
    finally:
        await asyncio.wait_for(dp.stop_polling(), timeout=10)
        await asyncio.wait_for(polling, timeout=10)
    assert server.find_requests("getUpdates")


async def test_stop_releases_pending_long_poll(server: BotAPIServer, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await wait_for_poll(server)
    await asyncio.wait_for(server.stop(), timeout=10)
    assert await asyncio.wait_for(poll, timeout=10) == []
