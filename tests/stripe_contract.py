"""Stripe's API contract at one API version, as the installed stripe-python describes it.

stripe-python is generated from Stripe's OpenAPI spec for one API version (`SDK_API_VERSION`):
its `stripe.params` TypedDicts are the request parameters of each endpoint at that version,
and its resource classes (`stripe.PaymentIntent`...) the fields of the objects Stripe answers
with. The stub checks every request against the former before answering, and shapes its
answers with the latter, so a request Stripe would refuse is refused here too — the way Stripe
refuses it: 400 and Stripe's error JSON — and an SDK upgrade that changes the contract makes
the tests say so.

Requests arrive form-encoded, as the SDK sends them: `metadata[reference]=...`,
`expand[0]=...`, booleans as "true"/"false", numbers as digits.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union

import stripe._request_options
import typing_extensions
from stripe._api_version import _ApiVersion
from stripe._error_object import ErrorObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    PaymentIntentRetrieveParams,
    PaymentIntentSearchParams,
    SetupIntentRetrieveParams,
)
from stripe.params.checkout import SessionCreateParams, SessionRetrieveParams

SDK_API_VERSION = _ApiVersion.CURRENT
# The API versions this check knows the contract of: the SDK's types describe only its own.
# A request at any other version is refused rather than checked against the wrong contract.
KNOWN_API_VERSIONS = frozenset({SDK_API_VERSION})

# The endpoints HealthPay calls, each with the SDK's parameter type for it.
ENDPOINTS: tuple[tuple[str, re.Pattern[str], type], ...] = tuple(
    (method, re.compile(pattern), params) for method, pattern, params in (
        ("POST", r"/v1/customers", CustomerCreateParams),
        ("POST", r"/v1/payment_intents", PaymentIntentCreateParams),
        ("GET", r"/v1/payment_intents/search", PaymentIntentSearchParams),
        ("GET", r"/v1/payment_intents/[^/]+", PaymentIntentRetrieveParams),
        ("POST", r"/v1/payment_intents/[^/]+/confirm", PaymentIntentConfirmParams),
        ("POST", r"/v1/checkout/sessions", SessionCreateParams),
        ("GET", r"/v1/checkout/sessions/[^/]+", SessionRetrieveParams),
        ("GET", r"/v1/setup_intents/[^/]+", SetupIntentRetrieveParams),
    )
)


@dataclass(frozen=True)
class Removal:
    version: str  # the first API version without the parameter
    code: str  # Stripe's error code for it
    message: str


# Parameters an API version removed, kept as data because an SDK's types may lag behind the
# API: Stripe's changelog for 2026-09-30.endive removes `payment_method_types` on PaymentIntent
# and Checkout Session creation ("use allowed_payment_method_types", added in 2026-07-29.dahlia).
_PMT_REMOVED = Removal(
    "2026-09-30.endive", "payment_method_types_no_longer_supported",
    "payment_method_types is no longer supported as of API version 2026-09-30.endive; use "
    "allowed_payment_method_types instead.")
REMOVED_PARAMETERS: dict[tuple[str, str], Removal] = {
    ("/v1/payment_intents", "payment_method_types"): _PMT_REMOVED,
    ("/v1/checkout/sessions", "payment_method_types"): _PMT_REMOVED,
}
# Parameters the SDK's types take from RequestOptions: sent as headers, never as parameters.
_REQUEST_OPTIONS = frozenset(stripe._request_options.RequestOptions.__annotations__)
# RequestOptions' own annotations name types its module imports only for type checkers.
_HINT_NAMES = {**vars(stripe._request_options), "StripeContext": object}


class ContractViolation(Exception):
    """A request Stripe refuses: `status` and Stripe's error body."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None,
                 status: int = 400):
        super().__init__(message)
        error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
        if code:
            error["code"] = code
        if param:
            error["param"] = param
        self.status, self.body = status, {"error": error}


def params_type(method: str, path: str) -> type | None:
    return next((params for method_, pattern, params in ENDPOINTS
                 if method_ == method and pattern.fullmatch(path)), None)


def check_request(method: str, path: str, headers: dict[str, str], params: dict[str, Any],
                  *, version: str | None = None) -> None:
    """Raise ContractViolation for a request Stripe refuses at the version it names.
    `headers` have lower-case names; `params` is the form body decoded into nested dicts and
    lists of strings."""
    version = version or headers.get("stripe-version")
    if version not in KNOWN_API_VERSIONS:
        raise ContractViolation(f"Invalid Stripe API version: {version}. This check knows only "
                                f"{', '.join(sorted(KNOWN_API_VERSIONS))}.")
    expected = params_type(method, path)
    if expected is None:
        raise ContractViolation(f"Unrecognized request URL ({method}: {path}).", status=404)
    for name in params:
        removal = REMOVED_PARAMETERS.get((path, name))
        if removal and version >= removal.version:
            raise ContractViolation(removal.message, code=removal.code, param=name)
    _check_fields(params, expected, "")


def _check(value: Any, hint: Any, where: str) -> None:
    """Refuse `value` (a form-decoded string, dict or list) unless it fits the type `hint`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (NotRequired, Required):
        return _check(value, args[0], where)
    if origin in (Union, types.UnionType):
        problems = []
        for option in args:
            try:
                return _check(value, option, where)
            except ContractViolation as exc:
                problems.append(exc)
        # The most specific complaint: one about a field inside, not about the whole value;
        # about the value itself, every value the alternatives list.
        specific = max(problems, key=lambda exc: len(exc.body["error"].get("param") or ""))
        listed = [arg for option in args if typing.get_origin(option) is Literal
                  for arg in typing.get_args(option)]
        if specific.body["error"].get("param") == where and listed:
            raise ContractViolation(f"Invalid {where}: must be one of "
                                    f"{', '.join(map(repr, listed))}",
                                    code="parameter_invalid", param=where)
        raise specific
    if hint is Any:
        return None
    if origin is Literal:
        if isinstance(value, str) and value in [str(arg).lower() if isinstance(arg, bool)
                                                else str(arg) for arg in args]:
            return None
        raise ContractViolation(f"Invalid {where}: must be one of {', '.join(map(repr, args))}",
                                code="parameter_invalid", param=where)
    if origin is list:
        if not isinstance(value, list):
            raise ContractViolation(f"Invalid array: {where}", code="parameter_invalid",
                                    param=where)
        for index, item in enumerate(value):
            _check(item, args[0], f"{where}[{index}]")
        return None
    if origin is dict or _is_untyped_object(hint):
        if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values()):
            raise ContractViolation(f"Invalid object: {where}", code="parameter_invalid",
                                    param=where)
        return None
    if typing_extensions.is_typeddict(hint):
        if not isinstance(value, dict):
            raise ContractViolation(f"Invalid object: {where}", code="parameter_invalid",
                                    param=where)
        return _check_fields(value, hint, where)
    return _check_scalar(value, hint, where)


def _check_scalar(value: Any, hint: Any, where: str) -> None:
    if not isinstance(value, str):
        raise ContractViolation(f"Invalid {where}: expected a single value",
                                code="parameter_invalid", param=where)
    if hint is str:
        return None
    if hint is bool and value in ("true", "false"):
        return None
    if hint is int and re.fullmatch(r"-?\d+", value):
        return None
    if hint is float and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return None
    if hint in (bool, int, float):
        code = {bool: "parameter_invalid_boolean", int: "parameter_invalid_integer",
                float: "parameter_invalid_float"}[hint]
        raise ContractViolation(f"Invalid {hint.__name__}: {value}", code=code, param=where)
    raise AssertionError(f"the contract check does not know the type {hint!r} of {where}")


def _check_fields(value: dict[str, Any], typed_dict: type, where: str) -> None:
    hints = _hints(typed_dict)
    for name in value:
        if name not in hints:
            param = f"{where}[{name}]" if where else name
            raise ContractViolation(f"Received unknown parameter: {param}",
                                    code="parameter_unknown", param=param)
    for name in sorted(typed_dict.__required_keys__ - _REQUEST_OPTIONS):
        if name not in value:
            param = f"{where}[{name}]" if where else name
            raise ContractViolation(f"Missing required param: {param}.",
                                    code="parameter_missing", param=param)
    for name, item in value.items():
        _check(item, hints[name], f"{where}[{name}]" if where else name)


@functools.cache
def _hints(typed_dict: type) -> dict[str, Any]:
    hints = typing.get_type_hints(typed_dict, localns=_HINT_NAMES, include_extras=True)
    return {name: hint for name, hint in hints.items() if name not in _REQUEST_OPTIONS}


def _is_untyped_object(hint: Any) -> bool:
    base = typing.get_origin(hint) or hint
    return isinstance(base, type) and issubclass(base, UntypedStripeObject)


# --- answers ---------------------------------------------------------------------------------


def object_class(object_name: str) -> type[StripeObject]:
    module, name = OBJECT_CLASSES[object_name]
    return getattr(__import__(module, fromlist=[name]), name)


def shaped(kind: str | type[StripeObject], values: dict[str, Any]) -> dict[str, Any]:
    """An object as Stripe sends it at SDK_API_VERSION: every field of its class present (null
    or empty when not set), `values` on top; nested objects given as dicts are shaped too."""
    cls = object_class(kind) if isinstance(kind, str) else kind
    fields = _fields(cls)
    unknown = set(values) - set(fields)
    assert not unknown, f"{cls.__name__} has no fields {sorted(unknown)} at {SDK_API_VERSION}"
    result = {}
    for name, hint in fields.items():
        if name in values:
            result[name] = _shaped_value(values[name], hint)
        else:
            result[name] = _empty(hint)
    return result


def check_answer(value: Any, hint: Any = None) -> None:
    """Raise AssertionError when an answer has an object not shaped as Stripe sends it: a field
    its class lacks, or one missing. Error bodies carry only the fields that apply."""
    if isinstance(value, list):
        for item in value:
            check_answer(item, _item_hint(hint))
        return
    if not isinstance(value, dict):
        return
    if set(value) == {"error"}:
        error = value["error"]
        unknown = set(error) - set(_fields(ErrorObject))
        assert not unknown, f"Stripe errors have no fields {sorted(unknown)}"
        for name in ("payment_intent", "setup_intent", "payment_method"):
            check_answer(error.get(name))
        return
    cls = _class_of(value, hint)
    if cls is None:
        return
    if value.get("object") in ("search_result", "list"):
        check_answer(value["data"])
        return
    fields = _fields(cls)
    assert set(value) == set(fields), (
        f"{cls.__name__}: unknown {sorted(set(value) - set(fields))}, "
        f"missing {sorted(set(fields) - set(value))}")
    for name, item in value.items():
        check_answer(item, fields[name])


def _class_of(value: dict[str, Any], hint: Any) -> type[StripeObject] | None:
    if isinstance(value.get("object"), str) and value["object"] in OBJECT_CLASSES:
        return object_class(value["object"])
    return _nested_class(hint)


def _nested_class(hint: Any) -> type[StripeObject] | None:
    """The StripeObject class a field's type names, if one (Optional[PaymentIntent.NextAction]
    -> NextAction); None for free-form dicts (metadata) and plain values."""
    if isinstance(hint, type):
        return hint if issubclass(hint, StripeObject) and not issubclass(
            hint, UntypedStripeObject) else None
    for arg in typing.get_args(hint):
        if not isinstance(arg, ForwardRef) and (found := _nested_class(arg)):
            return found
    return None


def _item_hint(hint: Any) -> Any:
    for option in (hint, *typing.get_args(hint)):
        if typing.get_origin(option) is list:
            return typing.get_args(option)[0]
    return None


@functools.cache
def _fields(cls: type) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is StripeObject or not issubclass(base, StripeObject):
            continue
        annotations.update(vars(base).get("__annotations__", {}))
    return {name: hint for name, hint in annotations.items()
            if not name.startswith("_") and typing.get_origin(hint) is not typing.ClassVar}


def _shaped_value(value: Any, hint: Any) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("object"), str):
            return value  # a whole object, already shaped by its own store
        if cls := _nested_class(hint):
            return shaped(cls, value)
    return value


def _empty(hint: Any) -> Any:
    """What Stripe sends for a field that is not set: null where the type allows it."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        return None
    if origin is list:
        return []
    if _is_untyped_object(hint) or origin is dict:
        return {}
    if (cls := _nested_class(hint)) is not None:
        return shaped(cls, {})
    if origin in (Union, types.UnionType):
        return _empty(args[0])
    if origin is Literal:
        return args[0]
    return {int: 0, bool: False, str: "", float: 0.0}.get(hint)
