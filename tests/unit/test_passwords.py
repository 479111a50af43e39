import pytest

from services import passwords
from services.errors import WeakPassword
from services.passwords import (
    check_password_policy,
    hash_answer,
    hash_password,
    needs_rehash,
    verify_answer,
    verify_password,
)
from tests.factories import use_fast_password_hashing


@pytest.fixture
def fast_hashing(monkeypatch):
    use_fast_password_hashing(monkeypatch)


@pytest.mark.parametrize("password, reason", [
    ("Sh0rt!pw", "at least 10 characters"),
    ("Aa1!" * 33, "at most 128 characters"),
    ("x-Mary.ONeil-9", "can't contain your username"),
    ("Password1!", "too common"),
    ("P@ssw0rd2024!", "too common"),
    ("qwerty12345", "too common"),
    ("Healthpay#2026", "too common"),
    ("1029384756", "only numbers"),
    ("38475629103847561029", "only numbers"),
    ("abababababababababab", "same few characters"),
    ("Aa1Aa1Aa1Aa1", "same few characters"),
    ("allowercase", "three of"),
    ("UPPERANDlower", "three of"),
    ("lower1234567", "three of"),
])
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(WeakPassword, match=reason):
        check_password_policy(password, username="mary.oneil")


@pytest.mark.parametrize("password", [
    "Blue-Harbor-42",
    "Tr0ub4dor&3x",
    "correct horse battery staple",
    "correcthorsebatterystaple",  # a long passphrase needs no mix of characters
    ("Blue-Harbor-42 " * 9)[:128],
    "mY&password1",  # a common word inside a longer password is fine
])
def test_good_passwords_pass(password):
    check_password_policy(password, username="mary.oneil")


def test_the_username_rule_applies_only_when_given():
    check_password_policy("mary.oneil-X9")
    with pytest.raises(WeakPassword):
        check_password_policy("mary.oneil-X9", username="Mary.ONeil")


def test_the_reason_never_repeats_the_password():
    with pytest.raises(WeakPassword) as error:
        check_password_policy("supersecret")
    assert "supersecret" not in str(error.value)


def test_hashes_are_argon2id_with_the_default_parameters():
    password_hash = hash_password("Blue-Harbor-42")
    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "Blue-Harbor-42" not in password_hash
    assert hash_password("Blue-Harbor-42") != password_hash  # salted
    assert passwords.DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_verify_password(fast_hashing):
    password_hash = hash_password("Blue-Harbor-42")
    assert verify_password(password_hash, "Blue-Harbor-42")
    assert not verify_password(password_hash, "blue-harbor-42")
    assert not verify_password("not a hash", "Blue-Harbor-42")
    assert not verify_password(passwords.DUMMY_HASH, "")


def test_answers_are_hashed_after_normalizing(fast_hashing):
    answer_hash = hash_answer("Elm Street")
    assert "elm street" not in answer_hash.lower()  # not "elm": a random salt can spell it
    assert verify_answer(answer_hash, "  ELM street. ")
    assert not verify_answer(answer_hash, "Elm Road")


def test_cheaper_parameters_still_verify_old_hashes_and_ask_for_a_rehash(monkeypatch):
    strong = hash_password("Blue-Harbor-42")
    use_fast_password_hashing(monkeypatch)
    assert verify_password(strong, "Blue-Harbor-42")
    assert needs_rehash(strong)
    cheap = hash_password("Blue-Harbor-42")
    assert not needs_rehash(cheap)
    assert passwords.DUMMY_HASH.startswith("$argon2id$v=19$m=64,t=1,p=1$")
