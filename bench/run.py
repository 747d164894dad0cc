"""Run every OncoDir benchmark: `make bench` (full sizes) or `make bench BENCH_ARGS=--quick`.

Each benchmark is a script bench/<name>_bench.py that measures its own baseline in the same run and
prints its figures as ratios against it; this runner only calls them in turn and reports failures.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")]
    flags = [a for a in argv if a.startswith("-")]
    scripts = sorted(BENCH_DIR.glob("*_bench.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removesuffix("_bench") in names]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} {' '.join(flags)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *flags], cwd=BENCH_DIR.parent)
        print(f"=== {script.stem}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
