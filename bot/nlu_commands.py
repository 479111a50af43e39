"""`healthpay nlu parse` and `healthpay nlu evaluate`: the NLU from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from dialogs.engine.languages import load_languages
from dialogs.engine.nlu.evaluation import cross_validate, evaluate, format_report
from dialogs.engine.nlu.interpreter import DEFAULT_NLU_PATH, NluInterpreter
from dialogs.engine.nlu.training_data import TrainingDataError, load_nlu_data


def register(subparsers: argparse._SubParsersAction) -> None:
    nlu = subparsers.add_parser("nlu", help="parse messages and measure the NLU")
    actions = nlu.add_subparsers(dest="nlu_command", metavar="ACTION", required=True)

    parse = actions.add_parser(
        "parse", help="print Rasa's parse JSON for each text (no texts: one per stdin line)")
    parse.add_argument("texts", nargs="*", metavar="TEXT")
    parse.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                       help="resolve dates as if it were this day (default: today in Boston)")
    _add_model_options(parse)
    parse.set_defaults(handler=run_parse)

    evaluate_ = actions.add_parser(
        "evaluate", help="accuracy, macro F1, per-intent scores and confusions")
    evaluate_.add_argument(
        "file", nargs="?", type=Path, metavar="FILE",
        help="test data in nlu.yml format; with --cross-validate, the data to cross-validate "
             "(default: the training data)")
    evaluate_.add_argument("--cross-validate", type=_at_least_two, metavar="N",
                           help="stratified N-fold cross-validation instead of a test file")
    evaluate_.add_argument("--errors", type=int, default=10, metavar="K",
                           help="list the first K misclassified examples (default 10)")
    _add_model_options(evaluate_)
    evaluate_.set_defaults(handler=run_evaluate)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nlu", type=Path, default=DEFAULT_NLU_PATH, metavar="PATH",
                        help="training data (default: data/nlu.yml)")
    parser.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="where the trained model is cached (default: VAR_DIR/cache/nlu)")
    parser.add_argument("--language", default=None, metavar="CODE",
                        help="the member's language, for amounts and dates in words "
                             "(a data/languages folder, e.g. es; default: English)")


def _at_least_two(value: str) -> int:
    folds = int(value)
    if folds < 2:
        raise argparse.ArgumentTypeError("cross-validation needs at least 2 folds")
    return folds


def _load(args: argparse.Namespace) -> NluInterpreter:
    cache_dir = args.cache_dir
    if cache_dir is None:
        from bot.settings import Settings

        cache_dir = Settings().var_dir / "cache" / "nlu"
    # The training file's language folders (data/languages/<code>/nlu.yml) train with it.
    languages = load_languages([Path(args.nlu).parent / "languages"])
    return NluInterpreter.load(args.nlu, cache_dir, extra_nlu_paths=[
        language.nlu_path for language in languages.values() if language.nlu_path])


def run_parse(args: argparse.Namespace) -> int:
    try:
        interpreter = _load(args)
    except (OSError, TrainingDataError) as error:
        print(f"healthpay nlu: {error}", file=sys.stderr)
        return 2
    texts = args.texts or (line.rstrip("\r\n") for line in sys.stdin)
    for text in texts:
        parse = interpreter.parse(text, today=args.today, language=args.language)
        print(json.dumps(parse, ensure_ascii=False), flush=True)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        if args.cross_validate:
            path = args.file or args.nlu
            report = cross_validate(load_nlu_data(path), args.cross_validate)
            title = f"{args.cross_validate}-fold cross-validation on {path}"
        elif args.file is None:
            print("healthpay nlu evaluate: give a test FILE or --cross-validate N",
                  file=sys.stderr)
            return 2
        else:
            report = evaluate(_load(args), load_nlu_data(args.file).examples, args.language)
            title = f"{args.file} (model trained on {args.nlu})"
    except (OSError, ValueError) as error:  # unreadable data, or more folds than examples
        print(f"healthpay nlu: {error}", file=sys.stderr)
        return 2
    print(format_report(report, title=title, show_errors=args.errors))
    return 0
