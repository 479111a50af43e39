"""The sandbox's hosted page for adding a card or a bank account (/methods/setup/TOKEN), and the
pages a gateway's hosted setup returns to (/methods/setup/done, /methods/setup/cancelled).

The link carries the member's one-time setup token: single use, one account, 15 minutes. What
the member types goes straight to the sandbox gateway, which keeps a token, the brand and the
last four digits. The card number, security code and account number are never stored, logged,
or written back into the page, not even when the form comes back with errors.
"""

from __future__ import annotations

import re
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from bot.http import csrf
from bot.http.html_pages import form_refused_page, html_page, message_page
from bot.http.page_texts import PageWords, words_for
from services.adapters.sandbox_cards import MethodDetailsInvalid
from services.context import Services
from services.error_texts import error_text
from services.errors import DomainError, NotFound
from services.member_language import language_of
from services.method_setup import save_method_from_page
from services.notice_language import method_name
from services.payment_methods import check_setup_token, setup_token_account
from services.ports import SavedMethod

router = APIRouter(tags=["hosted pages"])
return_router = APIRouter(tags=["hosted pages"])


class MethodForm(BaseModel):
    """Both forms' fields; `kind` says which one was sent."""

    kind: str = "card"
    csrf_token: str = ""
    number: str = ""
    expiry: str = ""
    cvc: str = ""
    postal_code: str = ""
    holder_name: str = ""
    routing_number: str = ""
    account_number: str = ""
    account_type: str = "checking"


# The gateway's hosted setup returns here with no account: its links carry the language.
@return_router.get("/methods/setup/done", response_class=HTMLResponse)
def setup_done(lang: str = "") -> HTMLResponse:
    words = words_for(lang, "method_setup")
    return message_page(words("saved_title"), words("saved_gateway"), words("carry_on"),
                        language=words.language)


@return_router.get("/methods/setup/cancelled", response_class=HTMLResponse)
def setup_cancelled(lang: str = "") -> HTMLResponse:
    words = words_for(lang, "method_setup")
    return message_page(words("cancelled_title"), words("cancelled"), words("cancelled_back"),
                        language=words.language)


@router.get("/methods/setup/{token}", response_class=HTMLResponse)
def setup_form(request: Request, token: str) -> HTMLResponse:
    svc = _services(request)
    words = _words(svc, token)
    try:
        check_setup_token(svc, token)
    except DomainError as exc:
        return _link_problem(words, exc)
    return _form_page(request, svc, words, token, MethodForm())


@router.post("/methods/setup/{token}", response_class=HTMLResponse)
def save_method(request: Request, token: str,
                form: Annotated[MethodForm, Form()]) -> HTMLResponse:
    svc = _services(request)
    words = _words(svc, token)
    if not csrf.verify(request, form.csrf_token, svc.secrets.session_key, token,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page(words.language)
    try:
        # A dead link is told so before anything typed is looked at.
        check_setup_token(svc, token)
        saved = _tokenize(svc, form)
        method = save_method_from_page(svc, token, saved)
    except MethodDetailsInvalid as exc:
        return _form_page(request, svc, words, token, form, _field_errors(words, exc))
    except DomainError as exc:
        return _link_problem(words, exc)
    label = method_name(words.language, method.brand, method.last4, method.nickname)
    return message_page(words("saved_title"), words("saved", method=label), words("carry_on"),
                        language=words.language)


def _words(svc: Services, token: str) -> PageWords:
    """The page in the language of the account the link was made for, dead links too."""
    account_id = setup_token_account(svc, token)
    return words_for(language_of(svc, account_id) if account_id else None, "method_setup")


def _field_errors(words: PageWords, exc: MethodDetailsInvalid) -> dict[str, str]:
    """The card checker's messages are English: another language words each field's error."""
    return {field: words.optional(f"error_{field}") or message
            for field, message in exc.field_errors.items()}


def _tokenize(svc: Services, form: MethodForm) -> SavedMethod:
    if form.kind == "bank_account":
        return svc.gateway.tokenize_bank_account(form.routing_number, form.account_number,
                                                 form.holder_name, form.account_type)
    month, year = _split_expiry(form.expiry)
    return svc.gateway.tokenize_card(form.number, month, year, form.cvc, form.postal_code)


def _split_expiry(text: str) -> tuple[str, str]:
    """ "04/29", "04 / 2029", "0429" -> ("04", "29"); anything else -> blanks, which the
    gateway's check reports as a missing expiry."""
    match = (re.fullmatch(r"\s*(\d{1,2})\s*[/\-. ]\s*(\d{2}|\d{4})\s*", text)
             or re.fullmatch(r"\s*(\d{2})(\d{2}|\d{4})\s*", text))
    return (match.group(1), match.group(2)) if match else ("", "")


def _services(request: Request) -> Services:
    return request.app.state.runtime.services


def _link_problem(words: PageWords, exc: DomainError) -> HTMLResponse:
    status = 404 if isinstance(exc, NotFound) else 410
    return message_page(words("link_problem_title"), error_text(exc, words.language),
                        language=words.language, status_code=status)


# --- the form --------------------------------------------------------------------------------

_FIELD_IDS = {"number": "card-number", "expiry": "card-expiry", "cvc": "card-cvc",
              "postal_code": "card-zip", "holder_name": "bank-holder",
              "routing_number": "bank-routing", "account_number": "bank-account",
              "account_type": "bank-type-checking"}


def _form_page(request: Request, svc: Services, words: PageWords, token: str,
               form: MethodForm, errors: dict[str, str] | None = None) -> HTMLResponse:
    errors = errors or {}
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, token)
    hidden = f'<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">'
    showing_bank = form.kind == "bank_account"
    say = _text_in(words)
    field = _fields_in(words, errors)
    main = f"""<h1>{say("heading")}</h1>
<p class="lead">{say("lead")}</p>
<p class="note">{say("test_mode")}</p>
{_error_summary(words, errors)}
<fieldset class="switch">
<legend class="visually-hidden">{say("choose")}</legend>
<input type="radio" name="show" id="show-card"{"" if showing_bank else " checked"}>
<label for="show-card">{say("card")}</label>
<input type="radio" name="show" id="show-bank"{" checked" if showing_bank else ""}>
<label for="show-bank">{say("bank_account")}</label>
</fieldset>
<form id="card-form" method="post">
<h2>{say("add_card")}</h2>
<input type="hidden" name="kind" value="card">
{hidden}
{field("number", "card_number", autocomplete="cc-number", numeric=True)}
<div class="row">
{field("expiry", "expiry", value=form.expiry, hint="expiry_hint", autocomplete="cc-exp",
       numeric=True)}
{field("cvc", "cvc", hint="cvc_hint", autocomplete="cc-csc", numeric=True)}
</div>
{field("postal_code", "postal_code", value=form.postal_code, autocomplete="postal-code",
       numeric=True)}
<button type="submit">{say("save_card")}</button>
</form>
<form id="bank-form" method="post">
<h2>{say("add_bank_account")}</h2>
<input type="hidden" name="kind" value="bank_account">
{hidden}
{field("holder_name", "holder_name", value=form.holder_name, autocomplete="name")}
{field("routing_number", "routing_number", value=form.routing_number,
       hint="routing_number_hint", autocomplete="off", numeric=True)}
{field("account_number", "account_number", hint="account_number_hint", autocomplete="off",
       numeric=True)}
{_account_type(words, form.account_type, errors)}
<button type="submit">{say("save_bank_account")}</button>
</form>
<p class="secure">{say("keeps_last_four")}</p>"""
    title = words("title_with_errors" if errors else "title")
    response = html_page(title, main, language=words.language,
                         status_code=422 if errors else 200)
    csrf.set_cookie(response, nonce, path=f"/methods/setup/{token}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


def _text_in(words: PageWords):
    """A page text, escaped for HTML."""
    return lambda key: escape(words(key), quote=False)


def _fields_in(words: PageWords, errors: dict[str, str]):
    """A text field labelled (and hinted) by page text keys, with its error if it has one."""
    def field(name: str, label: str, *, hint: str | None = None, **options) -> str:
        return _text_field(name, words(label), errors, hint=words(hint) if hint else None,
                           error_prefix=words("error_prefix"), **options)
    return field


def _text_field(name: str, label: str, errors: dict[str, str], *, value: str = "",
                hint: str | None = None, error_prefix: str, autocomplete: str,
                numeric: bool = False) -> str:
    field_id = _FIELD_IDS[name]
    described = []
    parts = ['<div class="field">', f'<label for="{field_id}">{escape(label)}</label>']
    if hint:
        described.append(f"{field_id}-hint")
        parts.append(f'<p class="hint" id="{field_id}-hint">{escape(hint)}</p>')
    attributes = [f'id="{field_id}"', f'name="{name}"', 'type="text"',
                  f'autocomplete="{autocomplete}"', 'spellcheck="false"',
                  f'value="{escape(value)}"']
    if numeric:
        attributes.append('inputmode="numeric"')
    if name in errors:
        described.append(f"{field_id}-error")
        parts.append(f'<p class="error" id="{field_id}-error">'
                     f'<span class="visually-hidden">{escape(error_prefix)}</span>'
                     f'{escape(errors[name])}</p>')
        attributes.append('aria-invalid="true"')
    if described:
        attributes.append(f'aria-describedby="{" ".join(described)}"')
    parts.append(f"<input {' '.join(attributes)}>")
    parts.append("</div>")
    return "\n".join(parts)


def _account_type(words: PageWords, chosen: str, errors: dict[str, str]) -> str:
    error = ""
    if "account_type" in errors:
        error = f'<p class="error" id="bank-type-error">{escape(errors["account_type"])}</p>'
    choices = "\n".join(
        f'<label><input type="radio" name="account_type" id="bank-type-{value}" '
        f'value="{value}"{" checked" if chosen == value else ""}> {escape(words(value))}</label>'
        for value in ("checking", "savings"))
    return (f'<fieldset class="choices"><legend>{escape(words("account_type"))}</legend>\n'
            f"{error}\n{choices}\n</fieldset>")


def _error_summary(words: PageWords, errors: dict[str, str]) -> str:
    if not errors:
        return ""
    items = "\n".join(f'<li><a href="#{_FIELD_IDS[name]}">{escape(message)}</a></li>'
                      for name, message in errors.items() if name in _FIELD_IDS)
    return (f'<div class="summary" role="alert">\n<h2>{escape(words("errors_heading"))}</h2>\n'
            f"<ul>\n{items}\n</ul>\n</div>")
