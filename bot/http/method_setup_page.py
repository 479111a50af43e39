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
from services.adapters.sandbox_cards import MethodDetailsInvalid
from services.context import Services
from services.errors import DomainError, NotFound
from services.method_setup import save_method_from_page
from services.payment_methods import check_setup_token, method_label
from services.ports import SavedMethod

router = APIRouter(tags=["hosted pages"])
return_router = APIRouter(tags=["hosted pages"])

SAVED_TITLE = "Saved — go back to the chat"


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


@return_router.get("/methods/setup/done", response_class=HTMLResponse)
def setup_done() -> HTMLResponse:
    return message_page(SAVED_TITLE, "Your payment method is saved.",
                        "You can close this page and go back to the chat to carry on.")


@return_router.get("/methods/setup/cancelled", response_class=HTMLResponse)
def setup_cancelled() -> HTMLResponse:
    return message_page("Nothing was saved",
                        "You left the page before saving a payment method.",
                        "Go back to the chat when you're ready; I can send you a new link.")


@router.get("/methods/setup/{token}", response_class=HTMLResponse)
def setup_form(request: Request, token: str) -> HTMLResponse:
    svc = _services(request)
    try:
        check_setup_token(svc, token)
    except DomainError as exc:
        return _link_problem(exc)
    return _form_page(request, svc, token, MethodForm())


@router.post("/methods/setup/{token}", response_class=HTMLResponse)
def save_method(request: Request, token: str,
                form: Annotated[MethodForm, Form()]) -> HTMLResponse:
    svc = _services(request)
    if not csrf.verify(request, form.csrf_token, svc.secrets.session_key, token,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page()
    try:
        # A dead link is told so before anything typed is looked at.
        check_setup_token(svc, token)
        saved = _tokenize(svc, form)
        method = save_method_from_page(svc, token, saved)
    except MethodDetailsInvalid as exc:
        return _form_page(request, svc, token, form, exc.field_errors)
    except DomainError as exc:
        return _link_problem(exc)
    return message_page(SAVED_TITLE, f"Your {method_label(method)} is saved.",
                        "You can close this page and go back to the chat to carry on.")


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


def _link_problem(exc: DomainError) -> HTMLResponse:
    status = 404 if isinstance(exc, NotFound) else 410
    return message_page("This link can't be used", exc.message, status_code=status)


# --- the form --------------------------------------------------------------------------------

_FIELD_IDS = {"number": "card-number", "expiry": "card-expiry", "cvc": "card-cvc",
              "postal_code": "card-zip", "holder_name": "bank-holder",
              "routing_number": "bank-routing", "account_number": "bank-account",
              "account_type": "bank-type-checking"}


def _form_page(request: Request, svc: Services, token: str, form: MethodForm,
               errors: dict[str, str] | None = None) -> HTMLResponse:
    errors = errors or {}
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, token)
    hidden = f'<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">'
    showing_bank = form.kind == "bank_account"
    main = f"""<h1>Add a payment method</h1>
<p class="lead">Save a card or a bank account for your premium payments, then go back to the
chat.</p>
<p class="note">Test mode: no real money moves. Use card 4242 4242 4242 4242 with any future
expiry date, or routing number 110000000 with account number 000123456789.</p>
{_error_summary(errors)}
<fieldset class="switch">
<legend class="visually-hidden">What would you like to add?</legend>
<input type="radio" name="show" id="show-card"{"" if showing_bank else " checked"}>
<label for="show-card">Card</label>
<input type="radio" name="show" id="show-bank"{" checked" if showing_bank else ""}>
<label for="show-bank">Bank account</label>
</fieldset>
<form id="card-form" method="post">
<h2>Add a card</h2>
<input type="hidden" name="kind" value="card">
{hidden}
{_text_field("number", "Card number", errors, autocomplete="cc-number", numeric=True)}
<div class="row">
{_text_field("expiry", "Expiry date", errors, value=form.expiry, hint="MM/YY",
             autocomplete="cc-exp", numeric=True)}
{_text_field("cvc", "Security code", errors, hint="3 or 4 digits", autocomplete="cc-csc",
             numeric=True)}
</div>
{_text_field("postal_code", "Billing ZIP code", errors, value=form.postal_code,
             autocomplete="postal-code", numeric=True)}
<button type="submit">Save card</button>
</form>
<form id="bank-form" method="post">
<h2>Add a bank account</h2>
<input type="hidden" name="kind" value="bank_account">
{hidden}
{_text_field("holder_name", "Name on the account", errors, value=form.holder_name,
             autocomplete="name")}
{_text_field("routing_number", "Routing number", errors, value=form.routing_number,
             hint="9 digits, bottom left of a check", autocomplete="off", numeric=True)}
{_text_field("account_number", "Account number", errors, hint="4 to 17 digits",
             autocomplete="off", numeric=True)}
{_account_type(form.account_type, errors)}
<button type="submit">Save bank account</button>
</form>
<p class="secure">HealthPay keeps only the kind of method and its last four digits, never the
full number.</p>"""
    title = "Add a payment method" if not errors else "Check your details – Add a payment method"
    response = html_page(title, main, status_code=422 if errors else 200)
    csrf.set_cookie(response, nonce, path=f"/methods/setup/{token}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


def _text_field(name: str, label: str, errors: dict[str, str], *, value: str = "",
                hint: str | None = None, autocomplete: str, numeric: bool = False) -> str:
    field_id = _FIELD_IDS[name]
    described, parts = [], ['<div class="field">', f'<label for="{field_id}">{label}</label>']
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
                     f'<span class="visually-hidden">Error: </span>{escape(errors[name])}</p>')
        attributes.append('aria-invalid="true"')
    if described:
        attributes.append(f'aria-describedby="{" ".join(described)}"')
    parts.append(f"<input {' '.join(attributes)}>")
    parts.append("</div>")
    return "\n".join(parts)


def _account_type(chosen: str, errors: dict[str, str]) -> str:
    error = ""
    if "account_type" in errors:
        error = f'<p class="error" id="bank-type-error">{escape(errors["account_type"])}</p>'
    choices = "\n".join(
        f'<label><input type="radio" name="account_type" id="bank-type-{value}" '
        f'value="{value}"{" checked" if chosen == value else ""}> {title}</label>'
        for value, title in (("checking", "Checking"), ("savings", "Savings")))
    return (f'<fieldset class="choices"><legend>Account type</legend>\n{error}\n{choices}\n'
            "</fieldset>")


def _error_summary(errors: dict[str, str]) -> str:
    if not errors:
        return ""
    items = "\n".join(f'<li><a href="#{_FIELD_IDS[name]}">{escape(message)}</a></li>'
                      for name, message in errors.items() if name in _FIELD_IDS)
    return (f'<div class="summary" role="alert">\n<h2>Please check these details</h2>\n'
            f"<ul>\n{items}\n</ul>\n</div>")
