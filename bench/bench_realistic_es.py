"""The share of realistic Spanish messages understood and handled (issue 14): `python -m bench
realistic_es`, the same as `python -m bench.bench_realistic --language es` (target 0.90)."""

from __future__ import annotations

import sys

from bench.bench_realistic import main

if __name__ == "__main__":
    sys.exit(main(["--language", "es", *sys.argv[1:]]))
