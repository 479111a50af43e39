"""The share of realistic member messages understood and handled (issue 12).

    .venv/bin/python -m bench.bench_realistic [--failures] [--kind KIND] [--flow FLOW]
                                              [--language es]

Drives every case of tests/data/realistic/*.yml (messages written the way members type, held
out of training) through the real engine, NLU and actions over the seeded demo members, and
prints the share handled overall, inside forms and outside, by kind and by flow. --failures
lists each failed case with its prompt, reply and what was wrong. Target: 0.95; exits 1 below
it. Takes about a minute. --language es runs the Spanish set (tests/data/realistic_es, issue
14; target 0.90), also `python -m bench realistic_es`.
"""

from __future__ import annotations

import argparse
import sys

from bench.realistic import DEFAULT_LANGUAGE, TARGETS, cases_dir, load_cases, run_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the failed cases")
    parser.add_argument("--kind", help="only the cases of this kind")
    parser.add_argument("--flow", help="only the cases of this flow")
    parser.add_argument("--language", default=DEFAULT_LANGUAGE, choices=sorted(TARGETS),
                        help="the set in this language")
    args = parser.parse_args(argv)
    cases = [case for case in load_cases(cases_dir(args.language))
             if (args.kind in (None, case.kind)) and (args.flow in (None, case.flow))]
    report = run_cases(cases, language=args.language)
    print(f"understood and handled: {report.share:.3f} "
          f"({sum(o.passed for o in report.outcomes)} of {len(report.outcomes)})")
    for title, key in (("where", lambda c: "inside a form" if c.in_form else "outside forms"),
                       ("by kind", lambda c: c.kind), ("by flow", lambda c: c.flow)):
        print(f"{title}:")
        for name, (passed, total) in report.by(key).items():
            print(f"  {name:<20} {passed / total:6.3f}  {passed:>3}/{total}")
    if args.failures:
        for outcome in report.outcomes:
            if not outcome.passed:
                case = outcome.case
                print(f"\n✗ [{case.file} {case.context} {case.kind}] {case.text!r}")
                print("  prompt: " + outcome.prompt.replace("\n", " | ")[:300])
                print("  reply:  " + outcome.reply.replace("\n", " | ")[:300])
                print("  wrong:  " + "; ".join(outcome.problems))
    return 0 if report.share >= TARGETS[args.language] else 1


if __name__ == "__main__":
    sys.exit(main())
