"""Finds English sentences in what the bot said to a Spanish-speaking member.

    english_sentences("Su pago de $10.00 está listo. Please confirm.")  # ["Please confirm."]
    assert_no_english(["¡Hola!", "Pagar ahora"])                          # raises on a leak

A sentence is English when it has a word that only English has: function words ("the",
"your", "would"), and the words of our own domain ("payment", "balance", "log in"). Words
Spanish shares with English ("a", "no", "me", "he", "plan", "total", "dental", "chat") are not
on the list, and names a Spanish text keeps as they are ("HealthPay", "Visa", "Health
Connector", "ConnectorCare"), addresses, links and references are taken out before looking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words no Spanish sentence of ours has: one is enough to call a sentence English.
ENGLISH_WORDS = frozenset("""
    the an and or of to in on at by for from with without about into than then
    is are was were be been being isn't aren't wasn't weren't it it's its this that these those
    there here where when what which who whom whose why how
    you you're you've you'll you'd your yours we we're we've we'll our they them their
    i'm i've i'll i'd my mine he's she's
    do does did don't doesn't didn't can can't cannot could couldn't will won't would wouldn't
    should shouldn't may might must have haven't had hasn't
    not yes please thanks thank sorry okay
    if so just only also still yet already again now today tomorrow yesterday soon later
    next last every each any some all both none more most less other another
    what's that's there's here's let's let
    pay paid paying payment payments balance owe owed owing due bill bills billed billing
    account accounts card cards bank checking savings method methods ending
    amount premium premiums history reminder reminders request support person human
    password username log logged login logout sign signed
    help menu back cancel cancelled canceled confirm confirmed remove removed add added
    default make made set setup change changed pause paused resume resumed turn
    activate activated stop stopped try again something went wrong understand understood
    monthly quarterly full fixed days day week weeks month months year
    declined decline missing showing shown processing settled settle reference
    welcome hello hi goodbye bye
    monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
    january february march april june july august september october november december
    jan apr aug dec
    choose chose chosen choice would like want need send sent get got give go see show
    new open opened close closed ready done sure right wrong
    pick different question questions security answer
    manage off has expired pending autopay
    never mind first charge midnight noon prepared refunded
""".split())

# Phrases that are English even where each word alone might not be listed.
ENGLISH_PHRASES = ("autopay is", "log in", "log out", "talk to")

# Kept as they are in a Spanish text: names, the language menu, what the member typed.
KEPT_AS_THEY_ARE = re.compile("|".join([
    r"https?://\S+",                       # links (hosted pages: /methods/setup/...)
    r"\S+@\S+\.\w+",                       # e-mail addresses
    r"\bHC-[0-9A-Z]{4}-[0-9A-Z]{4}\b",     # payment references
    r"\bSR-\d{8}-\d{4}\b",                 # support request numbers
    r"\b(?:Massachusetts\s+)?Health\s+Connector\b",
    r"\bHealthPay\b", r"\bConnectorCare\b", r"\bMassHealth\b",
    r"\bIdioma\s*/\s*Language\b", r"\bLanguage\s*/\s*Idioma\b",  # the bilingual button
    r"\bEnglish\b",                        # a language's own name on the language menu
    r"\bP\.\s?O\.\s+Box\b", r"\bTTY\b",
    r"\bApple Pay\b", r"\bGoogle Pay\b",
]), re.IGNORECASE)

TAGS = re.compile(r"<[^>]+>")  # Telegram's HTML parse mode
PLACEHOLDERS = re.compile(r"\{\w+\}")  # a template's names, when the texts are checked as data
SENTENCES = re.compile(r"(?<=[.!?:;])\s+|\n+|\s*•\s*")
# A word glued to an accented letter ("menú", "día") is Spanish: only whole ASCII words
# between non-letters count.
WORDS = re.compile(r"(?<![^\W\d_])[a-z']+(?![^\W\d_])")


def english_sentences(text: str) -> list[str]:
    """The sentences of `text` that are English (empty when there is none)."""
    text = TAGS.sub(" ", (text or "").replace("\u2019", "'"))
    return [sentence.strip() for sentence in SENTENCES.split(text)
            if sentence.strip() and _is_english(sentence)]


def _is_english(sentence: str) -> bool:
    cleaned = KEPT_AS_THEY_ARE.sub(" ", PLACEHOLDERS.sub(" ", sentence))
    lowered = " ".join(cleaned.lower().split())
    if any(re.search(rf"\b{phrase}\b", lowered) for phrase in ENGLISH_PHRASES):
        return True
    words = WORDS.findall(lowered)
    return any(word.strip("'") in ENGLISH_WORDS for word in words)


def english_in(texts: Iterable[str]) -> list[str]:
    """Every English sentence in `texts`, each once, in order."""
    found: list[str] = []
    for text in texts:
        for sentence in english_sentences(text):
            if sentence not in found:
                found.append(sentence)
    return found


def assert_no_english(texts: Iterable[str]) -> None:
    texts = list(texts)
    leaks = english_in(texts)
    assert not leaks, "English in the replies to a Spanish-speaking member:\n  " + \
        "\n  ".join(leaks)
