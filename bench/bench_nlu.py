"""The NLU's figures: cross-validated accuracy, training and cached start-up, parse latency.

    .venv/bin/python -m bench.bench_nlu [--parses 2000]

Targets (issue 3): 5-fold cross-validated intent accuracy on data/nlu.yml at least 0.95;
start-up training under 5 s, a cached start under 1 s; parse median under 2 ms. Exits 1 when
a target is missed. Takes about 15 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dialogs.engine.nlu.evaluation import cross_validate, evaluate
from dialogs.engine.nlu.interpreter import DEFAULT_NLU_PATH, NluInterpreter
from dialogs.engine.nlu.training_data import load_nlu_data

TEST_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "nlu_test.yml"
FOLDS = 5
TARGETS = {  # name: (limit, higher is better)
    "cv_accuracy": (0.95, True),
    "cold_training_s": (5.0, False),
    "cached_load_s": (1.0, False),
    "parse_median_ms": (2.0, False),
}
GARBAGE = ["", "   ", "😀😀", "asdf qwerty", "\x00\x07", "x" * 10_000, "1 " * 2_000,
           "my card is 4242 4242 4242 4242", "ref hc7k3m9q2d, member 1234 5678 9012"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parses", type=int, default=2000)
    args = parser.parse_args()
    data = load_nlu_data(DEFAULT_NLU_PATH)
    figures: dict[str, float] = {}

    started = time.perf_counter()
    report = cross_validate(data, FOLDS)
    cv_seconds = time.perf_counter() - started
    figures["cv_accuracy"] = report.accuracy
    print(f"{FOLDS}-fold cross-validation on {len(data.examples)} examples, "
          f"{len(data.intents)} intents ({cv_seconds:.1f} s)")
    print(f"  accuracy {report.accuracy:.4f}, macro F1 {report.macro_f1:.4f}")
    print(f"  fallback offers choices for {report.fallback.when_right:.1%} of right answers, "
          f"{report.fallback.when_wrong:.1%} of wrong ones")

    with tempfile.TemporaryDirectory() as cache_dir:
        started = time.perf_counter()
        trained = NluInterpreter.load(DEFAULT_NLU_PATH, Path(cache_dir))
        figures["cold_training_s"] = time.perf_counter() - started
        started = time.perf_counter()
        interpreter = NluInterpreter.load(DEFAULT_NLU_PATH, Path(cache_dir))
        figures["cached_load_s"] = time.perf_counter() - started
        assert not trained.loaded_from_cache and interpreter.loaded_from_cache
        process_start = _fresh_process_start(Path(cache_dir))
    print(f"start-up: training {figures['cold_training_s']:.2f} s, cached load "
          f"{figures['cached_load_s'] * 1000:.0f} ms (a fresh process, imports included: "
          f"{process_start:.2f} s)")

    held_out = evaluate(interpreter, load_nlu_data(TEST_FILE).examples)
    print(f"held-out test file: accuracy {held_out.accuracy:.4f} on {held_out.examples} "
          f"examples, macro F1 {held_out.macro_f1:.4f}")

    timings = _parse_timings(interpreter, _varied_texts(data, args.parses))
    figures["parse_median_ms"] = statistics.median(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    print(f"parse: median {figures['parse_median_ms']:.3f} ms, p99 {p99:.3f} ms "
          f"over {len(timings)} texts")

    missed = [name for name, (limit, higher) in TARGETS.items()
              if (figures[name] < limit if higher else figures[name] >= limit)]
    for name, (limit, higher) in TARGETS.items():
        verdict = "MISSED" if name in missed else "ok"
        print(f"  {name:<16} {figures[name]:10.4f}  target {'>=' if higher else '<'} {limit}"
              f"  {verdict}")
    return 1 if missed else 0


def _fresh_process_start(cache_dir: Path) -> float:
    """Seconds for a new Python process to import the NLU and load the cached model."""
    code = ("from pathlib import Path; from dialogs.engine.nlu import NluInterpreter; "
            f"assert NluInterpreter.load(cache_dir=Path({str(cache_dir)!r})).loaded_from_cache")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def _varied_texts(data, count: int) -> list[str]:
    """Training and held-out messages, misspelled variants of them, and garbage."""
    rng = random.Random(7)
    pool = [e.text for e in data.examples] + [e.text for e in load_nlu_data(TEST_FILE).examples]
    texts = []
    while len(texts) < count:
        text = rng.choice(pool)
        if rng.random() < 0.4 and len(text) > 3:
            i = rng.randrange(len(text) - 1)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]  # swap two letters
        if rng.random() < 0.2:
            text = f"{text} {rng.choice(['$120.50', 'next friday', 'HC-7K3M-9Q2D', '12/23'])}"
        texts.append(text)
    return texts + GARBAGE


def _parse_timings(interpreter: NluInterpreter, texts: list[str]) -> list[float]:
    for text in texts[:100]:  # warm up
        interpreter.parse(text)
    timings = []
    for text in texts:
        started = time.perf_counter()
        interpreter.parse(text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


if __name__ == "__main__":
    sys.exit(main())
