"""A local fake of Telegram's Bot API (aiohttp), for the real python-telegram-bot Application.

    api = FakeBotApi()
    await api.start()                                  # 127.0.0.1, a free port
    Application.builder().base_url(api.base_url)...    # http://127.0.0.1:PORT/bot
    api.user_says(CHAT, "hi")                          # an update for getUpdates (or the webhook)
    await api.wait_for(lambda: api.bot_messages(CHAT))
    await api.stop()                                   # also releases a waiting getUpdates

Methods: getMe, getUpdates (long polling for its `timeout`, offset confirmation), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, deleteMessage, sendInvoice,
answerPreCheckoutQuery, setWebhook (then updates are posted to the URL with the secret header,
as Telegram does; Telegram takes only https addresses, so `webhook_routes` says where such an
address really arrives, as the TLS proxy in front of the app would), deleteWebhook,
setMyCommands, sendChatAction. Every call is recorded.

It refuses what Telegram refuses (tests/e2e/telegram/bot_api_rules.py: Telegram's own API
description, its HTML parse mode, its currency limits), with Telegram's answer: 400 and
{"ok": false, "error_code": 400, "description": "Bad Request: ..."}; and what only the state
can tell: a callback query answered twice or too late ("query is too old"), an edit that
changes nothing ("message is not modified"), a message to edit or delete that is gone, a
webhook that is not HTTPS. Such refusals are also kept in `refusals`: the test fixture fails a
test that leaves one unexpected (`take_refusals()` to expect them).

Failures on demand: `fail_next(method, status=429, retry_after=1)` (or 400/403/5xx with
Telegram's `description`), `time_out_next(method, seconds)` (the answer comes too late for the
bot's read timeout; `applied=True`: Telegram did it anyway); `blocked` chats answer 403.

Requests arrive form-encoded with JSON-encoded values (strings as they are), as PTB sends them.
Messages are stored as Telegram shows them: the text with the HTML markup parsed away.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.e2e.telegram.bot_api_rules import Refused, check_request, shown_text

BOT_ID = 777000111
BOT_USERNAME = "HealthPayTestBot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
# Telegram's usual descriptions of a refusal on demand.
DESCRIPTIONS = {400: "Bad Request: injected failure", 403: "Forbidden: bot was blocked by the user",
                409: "Conflict: terminated by other getUpdates request"}


@dataclass
class Call:
    method: str
    params: dict
    at: float


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    times: int
    description: str | None = None
    delay: float = 0.0  # > 0: a time-out, the answer held back this long
    applied: bool = False  # a time-out after Telegram did what was asked
    after: int = 0  # calls that succeed first


@dataclass
class FakeBotApi:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)  # chats whose member blocked the bot
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_statuses: list[int] = field(default_factory=list)  # our posts' HTTP answers
    # The https address Telegram posts to, and where it really arrives (the TLS proxy's job).
    webhook_routes: dict[str, str] = field(default_factory=dict)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (method, description)
    query_timeout_seconds: float = 15.0  # a callback query unanswered this long is too old

    def __post_init__(self):
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._query_ids = itertools.count(1)
        # user id -> the language their Telegram app is set to (User.language_code)
        self.language_codes: dict[int, str] = {}
        self._queries: dict[str, float] = {}  # callback or pre-checkout query id -> when sent
        self._messages: dict[tuple[int, int], dict] = {}  # (chat, message id) -> message
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self._changed = asyncio.Condition()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._webhook_posts: asyncio.Queue[dict] = asyncio.Queue()
        self._poster: asyncio.Task | None = None
        self.port: int | None = None
        self.last_update_id = 0
        self.confirmed_offset = 0  # getUpdates confirmed every update below this id

    # --- running ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._client = aiohttp.ClientSession()
        self._poster = asyncio.create_task(self._post_to_webhook())

    async def stop(self) -> None:
        self._stopping = True
        async with self._changed:
            self._changed.notify_all()
        if self._poster is not None:
            self._poster.cancel()
            await asyncio.wait({self._poster})
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- what members do --------------------------------------------------------------------

    def user_says(self, chat_id: int, text: str, *, chat_type: str | None = None,
                  user_id: int | None = None) -> dict:
        """A member's message; commands get their bot_command entity, as Telegram sends."""
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] \
            if text.startswith("/") else []
        return self.user_sends(chat_id, chat_type=chat_type, user_id=user_id, text=text,
                               **({"entities": entities} if entities else {}))

    def user_sends(self, chat_id: int, *, chat_type: str | None = None,
                   user_id: int | None = None, **content) -> dict:
        """A member's message of any kind: `location={...}`, `text=...`. Chats with a negative
        id are groups, unless `chat_type` says otherwise."""
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        sender = _user(user_id or abs(chat_id))
        sender["language_code"] = self.language_codes.get(sender["id"], "en")
        message = self._new_message(chat_id, sender, chat_type, **content)
        self.push({"message": message})
        return message

    def user_edits(self, message: dict, text: str) -> None:
        edited = {**message, "text": text, "edit_date": int(time.time())}
        self._messages[(message["chat"]["id"], message["message_id"])] = edited
        self.push({"edited_message": edited})

    def user_taps(self, chat_id: int, message_id: int, data: str, *,
                  user_id: int | None = None) -> str:
        """A tap on a button of the bot's message; the callback query's id."""
        query_id = f"cq{next(self._query_ids)}"
        self._queries[query_id] = time.monotonic()
        self.push({"callback_query": {
            "id": query_id, "from": _user(user_id or chat_id), "chat_instance": f"ci{chat_id}",
            "message": self._messages[(chat_id, message_id)], "data": data}})
        return query_id

    def user_taps_button(self, chat_id: int, title: str) -> str:
        """A tap on the button titled `title` (a prefix, any case) of the bot's latest message
        that has it."""
        for message in reversed(self.bot_messages(chat_id)):
            for button in buttons_of(message):
                if button["text"].lower().startswith(title.lower()):
                    return self.user_taps(chat_id, message["message_id"],
                                          button["callback_data"])
        raise AssertionError(f"no button {title!r} in chat {chat_id}")

    def user_blocks_bot(self, chat_id: int) -> None:
        self.blocked.add(chat_id)
        self.push({"my_chat_member": {
            "chat": _chat(chat_id, "private"), "from": _user(chat_id), "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": _bot_user()},
            "new_chat_member": {"status": "kicked", "user": _bot_user(), "until_date": 0}}})

    def pre_checkout(self, user_id: int, payload: str, total_amount: int,
                     currency: str = "USD") -> str:
        query_id = f"pcq{next(self._query_ids)}"
        self._queries[query_id] = time.monotonic()
        self.push({"pre_checkout_query": {
            "id": query_id, "from": _user(user_id), "currency": currency,
            "total_amount": total_amount, "invoice_payload": payload}})
        return query_id

    def successful_payment(self, chat_id: int, payload: str, total_amount: int, *,
                           charge_id: str, provider_charge_id: str,
                           currency: str = "USD") -> dict:
        message = self._new_message(chat_id, _user(chat_id), "private", successful_payment={
            "currency": currency, "total_amount": total_amount, "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider_charge_id})
        self.push({"message": message})
        return message

    def push(self, update: dict) -> int:
        """Any update: to getUpdates, or posted to the webhook when one is set."""
        update = {"update_id": next(self._update_ids), **update}
        self.last_update_id = update["update_id"]
        if self.webhook_url:
            self._webhook_posts.put_nowait(update)
        else:
            self._updates.append(update)
            asyncio.get_running_loop().create_task(self.notify())
        return update["update_id"]

    # --- what the bot did -------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 429, retry_after: int | None = 1,
                  times: int = 1, description: str | None = None, after: int = 0) -> None:
        """The next `times` calls of `method` (after `after` that succeed) fail: 429 with
        retry_after, or `status` with `description` (Telegram's words, e.g. "Bad Request:
        query is too old...")."""
        self._failures[method].append(_Failure(status, retry_after, times, description,
                                               after=after))

    def time_out_next(self, method: str, seconds: float, *, applied: bool = False,
                      times: int = 1) -> None:
        """The next calls of `method` are answered after `seconds` (longer than the bot waits);
        `applied`: Telegram did what was asked all the same."""
        self._failures[method].append(_Failure(0, None, times, delay=seconds, applied=applied))

    def take_refusals(self) -> list[tuple[str, str]]:
        """The refusals so far (method, description), forgotten: a test that expects them."""
        taken, self.refusals[:] = list(self.refusals), []
        return taken

    def calls_to(self, method: str) -> list[dict]:
        return [call.params for call in self.calls if call.method == method]

    def bot_messages(self, chat_id: int) -> list[dict]:
        """The bot's messages in the chat as they are now (edited, not deleted), oldest
        first."""
        return [message for (chat, _), message in sorted(self._messages.items())
                if chat == chat_id and message["from"]["id"] == BOT_ID
                and not message.get("deleted")]

    def message(self, chat_id: int, message_id: int) -> dict:
        return self._messages[(chat_id, message_id)]

    def texts(self, chat_id: int) -> list[str]:
        return [message.get("text", "") for message in self.bot_messages(chat_id)]

    async def wait_for(self, condition: Callable[[], object], timeout: float = 10.0):
        """Wait until `condition()` is truthy (checked on every call the bot makes)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not (result := condition()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting; calls: "
                                         f"{[c.method for c in self.calls[-15:]]}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
        return result

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0):
        return await self.wait_for(lambda: len(self.calls_to(method)) >= count, timeout)

    # --- the HTTP side ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        form = dict(await request.post()) if request.can_read_body else {}
        try:
            params = check_request(method, form)
        except Refused as refused:
            self.calls.append(Call(method, form, time.monotonic()))
            return await self._refuse(method, refused)
        self.calls.append(Call(method, params, time.monotonic()))
        try:
            failure = self._take_failure(method)
            if failure is not None and failure.delay:
                if failure.applied:
                    await self._answer(method, params)
                await asyncio.sleep(failure.delay)
                return _error(504, "Gateway Timeout")  # the bot stopped waiting before this
            if failure is not None:
                return _injected(failure)
            return await self._answer(method, params)
        finally:
            await self.notify()

    async def _answer(self, method: str, params: dict) -> web.Response:
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:  # in Telegram's API, but HealthPay never needed it faked
            return _error(501, f"Not Implemented in the fake: {method}")
        try:
            answer = await handler(params)
        except Refused as refused:
            return await self._refuse(method, refused)
        if isinstance(answer, web.Response):
            return answer
        return web.json_response({"ok": True, "result": answer})

    async def _refuse(self, method: str, refused: Refused) -> web.Response:
        self.refusals.append((method, refused.description))
        await self.notify()
        return _error(refused.status, refused.description)

    def _take_failure(self, method: str) -> _Failure | None:
        queued = self._failures.get(method)
        if not queued:
            return None
        failure = queued[0]
        if failure.after > 0:
            failure.after -= 1
            return None
        failure.times -= 1
        if failure.times <= 0:
            queued.pop(0)
        return failure

    async def notify(self) -> None:
        """Wake whoever waits in wait_for (called on every API call)."""
        async with self._changed:
            self._changed.notify_all()

    async def _api_getMe(self, params):
        return {**_bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_getUpdates(self, params):
        if self.webhook_url:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        async with self._changed:
            while not self._updates and not self._stopping and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self._updates[:limit]

    async def _api_sendMessage(self, params):
        chat_id = params["chat_id"]
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return self._bot_message(chat_id, text=shown_text(params),
                                 markup=params.get("reply_markup"))

    async def _api_sendInvoice(self, params):
        chat_id = params["chat_id"]
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        invoice = {"title": params["title"], "description": params["description"],
                   "start_parameter": "", "currency": params["currency"],
                   "total_amount": sum(price["amount"] for price in params["prices"])}
        message = self._bot_message(chat_id, invoice=invoice)
        message["invoice_payload"] = params["payload"]  # not in Telegram's message: for tests
        return message

    async def _api_editMessageText(self, params):
        message = self._messages.get((params["chat_id"], params["message_id"]))
        if message is None or message.get("deleted"):
            raise Refused("message to edit not found")
        text = shown_text(params)
        if text == message.get("text") and _markup(params) == message.get("reply_markup"):
            raise Refused(NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = int(time.time())
        _set_markup(message, params.get("reply_markup"))
        return message

    async def _api_editMessageReplyMarkup(self, params):
        message = self._messages.get((params["chat_id"], params["message_id"]))
        if message is None or message.get("deleted"):
            raise Refused("message to edit not found")
        if _markup(params) == message.get("reply_markup"):
            raise Refused(NOT_MODIFIED)
        _set_markup(message, params.get("reply_markup"))
        return message

    async def _api_deleteMessage(self, params):
        message = self._messages.get((params["chat_id"], params["message_id"]))
        if message is None or message.get("deleted"):
            raise Refused("message to delete not found")
        message["deleted"] = True
        return True

    async def _api_answerCallbackQuery(self, params):
        self._answer_query(params["callback_query_id"])
        return True

    async def _api_answerPreCheckoutQuery(self, params):
        self._answer_query(params["pre_checkout_query_id"])
        return True

    def _answer_query(self, query_id: str) -> None:
        """A query is answered once, in time."""
        sent = self._queries.pop(query_id, None)
        if sent is None or time.monotonic() - sent > self.query_timeout_seconds:
            raise Refused(QUERY_TOO_OLD)

    async def _api_sendChatAction(self, params):
        return True

    async def _api_setMyCommands(self, params):
        return True

    async def _api_setWebhook(self, params):
        self.webhook_url = self._route(params["url"]) if params["url"] else None
        self.webhook_secret = params.get("secret_token")
        return True

    async def _api_deleteWebhook(self, params):
        self.webhook_url = self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _post_to_webhook(self) -> None:
        """Deliver updates to the webhook one at a time, as Telegram does."""
        while True:
            update = await self._webhook_posts.get()
            headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
            async with self._client.post(self.webhook_url, json=update,
                                         headers=headers) as response:
                self.webhook_statuses.append(response.status)
            await self.notify()

    def _route(self, url: str) -> str:
        """Where a post to the public https `url` arrives (the TLS proxy in front of us)."""
        for public, local in self.webhook_routes.items():
            if url.startswith(public):
                return local + url.removeprefix(public)
        raise Refused("bad webhook: Failed to resolve host: Name or service not known")

    # --- messages ---------------------------------------------------------------------------

    def _new_message(self, chat_id: int, sender: dict, chat_type: str, **content) -> dict:
        message = {"message_id": next(self._message_ids[chat_id]), "date": int(time.time()),
                   "chat": _chat(chat_id, chat_type), "from": sender, **content}
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _bot_message(self, chat_id: int, *, markup: dict | None = None, **content) -> dict:
        chat_type = "private" if chat_id > 0 else "group"
        message = self._new_message(chat_id, _bot_user(), chat_type, **content)
        _set_markup(message, markup)
        return message


def buttons_of(message: dict) -> list[dict]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def _set_markup(message: dict, markup: dict | None) -> None:
    if markup and markup.get("inline_keyboard"):
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _markup(params: dict) -> dict | None:
    markup = params.get("reply_markup")
    return markup if markup and markup.get("inline_keyboard") else None


def _injected(failure: _Failure) -> web.Response:
    if failure.status == 429:
        return _error(429, f"Too Many Requests: retry after {failure.retry_after}",
                      parameters={"retry_after": failure.retry_after})
    description = failure.description or DESCRIPTIONS.get(failure.status) or (
        "Internal Server Error" if failure.status >= 500 else "Bad Request: injected failure")
    return _error(failure.status, description)


def _error(status: int, description: str, **extra) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description,
                              **extra}, status=status)


def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Member", "language_code": "en"}


def _bot_user() -> dict:
    return {"id": BOT_ID, "is_bot": True, "first_name": "HealthPay", "username": BOT_USERNAME}


def _chat(chat_id: int, chat_type: str) -> dict:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Member"}
    return {"id": chat_id, "type": chat_type, "title": "The family group"}
