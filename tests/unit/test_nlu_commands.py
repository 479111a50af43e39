"""`healthpay nlu parse` and `healthpay nlu evaluate`."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bot import nlu_commands

ROOT = Path(__file__).resolve().parents[2]
NLU_FILE = ROOT / "data" / "nlu.yml"
TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"

SMALL_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - good morning
    - hey there
- intent: make_payment
  examples: |
    - pay my bill
    - pay [$120](amount)
    - i want to pay my premium
    - make a payment
- intent: check_balance
  examples: |
    - what is my balance
    - how much do i owe
    - balance please
    - what do i owe
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="healthpay")
    nlu_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.fixture
def small_nlu(tmp_path) -> Path:
    path = tmp_path / "nlu.yml"
    path.write_text(SMALL_NLU)
    return path


def test_parse_prints_one_json_per_text(small_nlu, tmp_path, capsys):
    code = run(["nlu", "parse", "--nlu", str(small_nlu), "--cache-dir", str(tmp_path / "c"),
                "--today", "2026-11-17", "pay $120 on friday", "hello"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["text"] == "pay $120 on friday"
    assert first["intent"]["name"] == "make_payment"
    assert [(e["entity"], e["value"]) for e in first["entities"]] == [
        ("amount", 12000), ("date", "2026-11-20")
    ]
    assert second["intent"]["name"] == "greet"


def test_parse_without_texts_reads_stdin_line_by_line(small_nlu, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("what do i owe\n\npay 50 dollars\n"))
    code = run(["nlu", "parse", "--nlu", str(small_nlu), "--cache-dir", str(tmp_path / "c")])
    parses = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [p["text"] for p in parses] == ["what do i owe", "", "pay 50 dollars"]
    assert [p["intent"]["name"] for p in parses] == ["check_balance", "out_of_scope",
                                                     "make_payment"]


def test_parse_never_prints_a_card_number(small_nlu, tmp_path, capsys):
    run(["nlu", "parse", "--nlu", str(small_nlu), "--cache-dir", str(tmp_path / "c"),
         "pay with 4242 4242 4242 4242"])
    assert "4242" not in capsys.readouterr().out


def test_evaluate_reports_accuracy_f1_table_and_confusions(tmp_path, capsys):
    code = run(["nlu", "evaluate", str(TEST_FILE), "--nlu", str(NLU_FILE),
                "--cache-dir", str(tmp_path / "c")])
    out = capsys.readouterr().out
    assert code == 0
    accuracy = float(out.split("accuracy")[1].split()[0])
    assert accuracy >= 0.85
    assert "macro F1" in out and "most confused" in out
    assert "payment_declined" in out and "precision" in out and "support" in out


def test_cross_validation_runs_on_the_training_data(small_nlu, capsys):
    code = run(["nlu", "evaluate", "--cross-validate", "2", "--nlu", str(small_nlu)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"2-fold cross-validation on {small_nlu}")
    assert "(12 examples)" in out


@pytest.mark.parametrize("argv", [
    ["nlu", "evaluate"],  # neither a file nor --cross-validate
    ["nlu", "evaluate", "no-such-file.yml"],
    ["nlu", "evaluate", "--cross-validate", "9"],  # more folds than examples per intent
])
def test_evaluate_explains_what_is_wrong(small_nlu, tmp_path, capsys, argv):
    code = run([*argv, "--nlu", str(small_nlu), "--cache-dir", str(tmp_path / "c")])
    assert code == 2
    assert capsys.readouterr().err.startswith("healthpay nlu")


def test_fewer_than_two_folds_is_refused(capsys):
    with pytest.raises(SystemExit):
        run(["nlu", "evaluate", "--cross-validate", "1"])
    assert "at least 2 folds" in capsys.readouterr().err
