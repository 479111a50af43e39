"""Every notice pushed to a member whose account says Spanish is Spanish: planned by the real
jobs (autopay, settlement, reminders, grace, refunds and disputes, setup failures), texts and
button titles alike, with no English sentence in them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import yaml
from sqlalchemy import select, update

from services import autopay, notice_texts, payments
from services.adapters.stripe_events import MethodSetupFailed, PaymentReversal
from services.billing import issue_invoices
from services.grace_notices import plan_grace_notices
from services.member_language import save_language
from services.method_setup import AFTER_METHOD_ADDED, notify_method_added
from services.notice_language import LANGUAGES_DIR, buttons_in
from services.payment_reversals import apply_payment_reversal
from services.persistence.models import Notification, PaymentEvent, PaymentMethod
from services.reminders import plan_reminders
from services.settlement import settle_payments
from services.setup_failures import tell_setup_failed
from services.webhook_events import ReceivedEvent
from tests.factories import make_paying_member
from tests.fakes import RecordingNotifier
from tests.spanish_text import assert_spanish

VISA, BANK = "pm_card_visa", "pm_bank_ok"
INSUFFICIENT = "pm_card_visa_chargeDeclinedInsufficientFunds"
AUTHENTICATE = "pm_card_authenticationRequired"
_PLACEHOLDER = re.compile(r"\{\w+\}")


def _spanish_texts(name: str) -> list[tuple[str, str]]:
    """(where, text) of every text in data/languages/es/<name>.yml, values filled with X."""
    def leaves(tree, path):
        if isinstance(tree, dict):
            return [leaf for key, sub in tree.items() for leaf in leaves(sub, f"{path}/{key}")]
        return [(path, _PLACEHOLDER.sub("X", str(tree)))]
    return leaves(yaml.safe_load((LANGUAGES_DIR / "es" / f"{name}.yml").read_text()), name)


@pytest.mark.parametrize("where, text", _spanish_texts("notices") + _spanish_texts("pages"))
def test_every_spanish_notice_and_page_text_is_spanish(where, text):
    assert_spanish(re.sub(r"</?\w+>", "", text))


def test_every_button_a_notice_offers_has_a_spanish_title():
    offered = [value for value in vars(notice_texts).values()
               if isinstance(value, dict) and "payload" in value] + AFTER_METHOD_ADDED
    for button in buttons_in("es", offered):
        assert_spanish(button["title"])


def on(svc, month: int, day: int, year: int = 2026) -> dt.date:
    svc.clock.set(dt.datetime(year, month, day, 13, tzinfo=dt.UTC))  # 8 AM in Boston
    return dt.date(year, month, day)


def spanish_member(svc, **options):
    """Covered from December 2026: the first bill, $412.50, is due Mon, Nov 23."""
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1),
                                methods=(VISA, BANK, INSUFFICIENT, AUTHENTICATE), **options)
    issue_invoices(svc, through=svc.today())
    save_language(svc, member.account_id, "es")
    return member


def enroll(svc, member, token=VISA, **terms):
    terms = {"amount_rule": "full_balance", "fixed_amount_cents": None, "frequency": "monthly",
             "days_before_due": 3, **terms}
    return autopay.enroll(svc, member.account_id, method_id=member.method_ids[token], **terms)


def pay(svc, member, token=VISA, cents=41250):
    draft = payments.create_draft(svc, member.account_id, amount_cents=cents,
                                  method_id=member.method_ids[token])
    return payments.confirm_payment(svc, member.account_id, draft.id)


def notices(svc) -> dict[str, list[tuple[str, list]]]:
    """The notices planned, by kind: (text, button titles)."""
    found: dict[str, list] = {}
    with svc.uow() as uow:
        for kind, text, buttons in uow.session.execute(
                select(Notification.kind, Notification.text, Notification.buttons)
                .order_by(Notification.id)):
            found.setdefault(kind, []).append((text, [b["title"] for b in buttons or ()]))
    return found


def assert_all_spanish(found: dict[str, list[tuple[str, list]]]) -> None:
    for text, titles in (notice for planned in found.values() for notice in planned):
        assert_spanish(text)
        for title in titles:
            assert_spanish(title)


def test_autopay_heads_ups_and_results_are_spanish(svc, gateway):
    member = spanish_member(svc)
    enroll(svc, member, BANK)
    plan_reminders(svc, on(svc, 11, 17))
    autopay.charge_autopay_due(svc, on(svc, 11, 20))
    settle_payments(svc, on(svc, 11, 20))
    gateway.settle(gateway.requests[-1].idempotency_key)
    settle_payments(svc, on(svc, 11, 27))
    found = notices(svc)
    assert found["autopay_notice"] == [(
        "El pago automático pagará su prima con su cuenta corriente que termina en 4243 el "
        "vie, 20 de nov, antes del vencimiento del lun, 23 de nov. No tiene que hacer nada.",
        ["Pago automático"])]
    sent, paid = (text for text, _ in found["autopay_result"])
    assert sent.startswith("El pago automático envió $412.50 de su cuenta corriente que termina "
                           "en 4243 a su banco.")
    assert "a más tardar el vie, 27 de nov" in sent
    assert paid.startswith("El pago automático pagó $412.50 con su cuenta corriente que termina "
                           "en 4243. Referencia HC-")
    assert found["autopay_result"][0][1] == ["Historial de pagos"]
    assert_all_spanish(found)


def test_a_fixed_quarterly_autopay_notice_names_the_months_in_spanish(svc):
    member = spanish_member(svc)
    enroll(svc, member, frequency="quarterly", amount_rule="fixed", fixed_amount_cents=10000)
    issue_invoices(svc, through=on(svc, 12, 17))
    plan_reminders(svc, on(svc, 12, 17))
    [(text, _)] = notices(svc)["autopay_notice"]
    assert text.startswith("El pago automático pagará $100.00 de sus primas de enero a marzo "
                           "con su Visa que termina en 4242 el dom, 20 de dic")
    assert_all_spanish(notices(svc))


def test_an_expiring_card_warning_is_spanish(svc):
    member = spanish_member(svc, card_expiry=(11, 2026))
    enroll(svc, member)
    issue_invoices(svc, through=on(svc, 12, 6))
    plan_reminders(svc, on(svc, 12, 6))
    found = notices(svc)
    [(text, titles)] = found["card_expiring"]
    assert text.startswith("Su Visa que termina en 4242 vence antes de que el pago automático")
    assert titles == ["Agregar una tarjeta o cuenta bancaria", "Pago automático", "Pagar ahora"]
    assert_all_spanish(found)


def test_autopay_with_nothing_to_pay_or_no_usable_method_is_spanish(svc):
    paid_up, no_method = spanish_member(svc), spanish_member(svc)
    enroll(svc, paid_up)
    pay(svc, paid_up)
    enroll(svc, no_method)
    with svc.uow() as uow:
        uow.session.execute(update(PaymentMethod).where(
            PaymentMethod.account_id == no_method.account_id).values(removed_at=svc.now()))
        uow.commit()
    autopay.charge_autopay_due(svc, on(svc, 11, 20))
    settle_payments(svc, svc.today())
    found = notices(svc)
    assert sorted(text for text, _ in found["autopay_result"]) == [
        "El pago automático no le cobró la cobertura de diciembre: no hay nada que pagar por "
        "ahora.",
        "El pago automático no pudo pagar su prima que vence el lun, 23 de nov: el método que "
        "usa venció o se eliminó. Pague ahora y elija otro método para el pago automático."]
    assert_all_spanish(found)


def test_payments_whose_outcome_came_later_are_reported_in_spanish(svc, gateway):
    member = spanish_member(svc)
    pay(svc, member, BANK, cents=20000)
    gateway.settle(gateway.requests[-1].idempotency_key)
    gateway.fail_next(1, charge_then_fail=True)
    assert pay(svc, member, AUTHENTICATE, cents=1000).status == "pending"
    gateway.fail_next(1)
    assert pay(svc, member, VISA, cents=2000).status == "pending"
    svc.clock.advance(minutes=3)
    settle_payments(svc, on(svc, 11, 24))
    found = notices(svc)
    texts = sorted(text for text, _ in found["payment_result"])
    assert texts[0].startswith("A su pago de $10.00 con su Visa que termina en 4245 le falta "
                               "un paso: confírmelo en la página segura: https://")
    assert texts[1].startswith("Su pago de $20.00 con su Visa que termina en 4242 se completó")
    assert texts[2].startswith("Su pago de $200.00 con su cuenta corriente que termina en 4243 "
                               "se completó y se aplicó a su factura. Referencia HC-")
    assert_all_spanish(found)


def test_grace_notices_are_spanish(svc):
    spanish_member(svc)
    spanish_member(svc, subsidy_type="unsubsidized")
    plan_grace_notices(svc, on(svc, 11, 24))
    issue_invoices(svc, through=on(svc, 1, 5, 2027))
    plan_grace_notices(svc, on(svc, 1, 5, 2027))
    found = notices(svc)
    assert found["past_due"] == [
        ("Su prima de $412.50 por la cobertura de diciembre vencía el lun, 23 de nov y no se ha "
         "pagado. Está en un período de gracia de 3 meses: pague a más tardar el dom, 28 de feb "
         "para mantener su cobertura.", ["Pagar ahora", "¿Qué opciones tengo?"]),
        ("Su prima de $412.50 por la cobertura de diciembre vencía el lun, 23 de nov y no se ha "
         "pagado. Pague a más tardar el mié, 23 de dic: después, su cobertura termina con fecha "
         "retroactiva al lun, 30 de nov.", ["Pagar ahora", "¿Qué opciones tengo?"])]
    assert found["coverage_at_risk"][0][0].startswith("Su cobertura está en riesgo: debe $825.00")
    assert_all_spanish(found)


def test_refunds_and_disputes_are_told_in_spanish_and_kept_in_english(svc):
    member = spanish_member(svc)
    refunded, disputed, lost = (pay(svc, member, cents=cents) for cents in (10000, 20000, 5000))
    for number, (payment, kind, cents) in enumerate([
            (refunded, "refund", 4000), (disputed, "dispute_opened", 20000),
            (disputed, "dispute_won", 20000), (lost, "dispute_opened", 5000),
            (lost, "dispute_lost", 5000)]):
        apply_payment_reversal(svc, PaymentReversal(payment.gateway_ref, kind, cents),
                               event=ReceivedEvent(f"evt_{number}", kind))
    found = notices(svc)
    texts = [text for text, _ in found["payment_reversal"]]
    assert texts[0] == (f"Le reembolsamos $40.00 de su pago {refunded.reference}. Ese monto ya "
                        "no cuenta para sus facturas. Ahora debe $102.50; páguelo para mantener "
                        "su cobertura.")
    assert texts[1].endswith("Si no quería disputarlo, llame a su banco.")
    assert len(texts) == 5
    assert_all_spanish(found)
    # The payment's timeline is HealthPay's record: its words stay English.
    with svc.uow() as uow:
        note = uow.session.scalar(select(PaymentEvent.note).where(
            PaymentEvent.payment_id == refunded.id, PaymentEvent.status == "refunded"))
    assert note.startswith("We refunded $40.00 of your payment")


def test_setup_failures_and_a_saved_method_are_spanish(svc):
    member = spanish_member(svc)
    for number, code in enumerate(("setup_intent_authentication_failure", "verification_failed")):
        tell_setup_failed(svc, MethodSetupFailed(f"seti_{number}", None, member.account_id, code),
                          event=ReceivedEvent(f"evt_setup_{number}", "setup_intent.setup_failed"))
    found = notices(svc)
    assert [text[:40] for text, _ in found["method_setup_failed"]] == [
        "No pudimos guardar la tarjeta que agregó", "No pudimos verificar la cuenta bancaria "]
    assert_all_spanish(found)

    notifier = RecordingNotifier()
    with svc.uow() as uow:
        method = uow.session.get(PaymentMethod, member.method_ids[BANK])
        uow.session.expunge(method)
    notify_method_added(dataclasses.replace(svc, notifier=notifier), member.account_id, method)
    [(_, text, buttons)] = notifier.sent
    assert text == "Su cuenta corriente que termina en 4243 quedó guardada. ¿Quiere pagar ahora?"
    assert [b["title"] for b in buttons] == ["Pagar ahora", "Otra cosa"]


def test_an_autopay_decline_is_explained_in_spanish(svc):
    member = spanish_member(svc)
    enroll(svc, member, INSUFFICIENT)
    autopay.charge_autopay_due(svc, on(svc, 11, 20))
    settle_payments(svc, on(svc, 11, 20))  # the job that plans payment notices
    found = notices(svc)
    [(text, titles)] = found["autopay_result"]
    assert text.startswith("El pago automático")
    assert "Fondos insuficientes." in text, text
    assert "Hablar con una persona" in titles
    assert_all_spanish(found)


def test_a_returned_bank_payment_is_explained_in_spanish(svc, gateway):
    member = spanish_member(svc)
    pay(svc, member, BANK, cents=20000)
    gateway.settle(gateway.requests[-1].idempotency_key, "declined")
    settle_payments(svc, on(svc, 11, 24))
    found = notices(svc)
    [(text, titles)] = found["payment_result"]
    assert text.startswith("Su banco devolvió su pago de $200.00")
    assert titles == ["Usar otro método", "Agregar tarjeta o cuenta bancaria",
                      "Hablar con una persona"]
    assert_all_spanish(found)
