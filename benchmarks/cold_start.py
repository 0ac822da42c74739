"""Cold start per function: import-and-init time divided by `import boto3`, measured in one run.

Each sample is a fresh Python process (a cold container): it puts the layer and the function's
code on the path, sets the function's environment from template.yaml (against the local stack,
so init-time reads of Secrets Manager are real calls) and times the import of its handler
module. The baseline is a fresh process timing `import boto3`. Goal: ratio <= 2.0.

Run: make bench   (or .venv/bin/python -m benchmarks.cold_start [--samples N])

`--against REV` also times the same functions as they were at git revision REV (a temporary
worktree), sample for sample in turn with this tree's, and prints this tree's init time as a
ratio of REV's: a change's effect on cold start, with the machine's noise shared by both sides.
The results file is left alone then.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, sys, time
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""
IMPORT_HANDLER = """
spec = importlib.util.spec_from_file_location("app", {source!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
"""
GOAL = 2.0
RESULTS = ROOT / "benchmarks" / "results.json"


def sample(body: str, env: dict[str, str], path: list[str]) -> float:
    code = PROBE.format(body=body)
    environment = {**env, "PYTHONPATH": os.pathsep.join(path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The repository as it was at `revision`, in a worktree removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cbxero-bench-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), revision],
            check=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
            )


def compare(revision: str, samples: int) -> int:
    """This tree's init time per function against REV's, sampled in turn."""
    with checkout(revision) as old, LocalStack(quiet=True) as stack:
        print(f"init ms per function, median of {samples}, this tree against {revision}")
        print(f"{'function':<20} {revision[:12]:>12} {'this tree':>10} {'ratio':>6}")
        for logical_id in stack.template.functions():
            function = stack.template.function(logical_id)
            if not (old / function.code_dir.relative_to(ROOT) / "app.py").exists():
                print(f"{logical_id:<20} {'(none)':>12}")  # a function REV did not have yet
                continue
            env = {**os.environ, **stack.invoker.environment(logical_id)}
            runs: dict[Path, list[float]] = {ROOT: [], old: []}
            for _ in range(samples):
                for root in runs:  # in turn, so that both sides share the machine's moods
                    code = root / function.code_dir.relative_to(ROOT)
                    layers = [str(root / d.relative_to(ROOT)) for d in function.layer_dirs]
                    body = IMPORT_HANDLER.format(source=str(code / "app.py"))
                    runs[root].append(sample(body, env, [*layers, str(code)]))
            then, now = (statistics.median(runs[root]) for root in (old, ROOT))
            print(f"{logical_id:<20} {then * 1000:>12.0f} {now * 1000:>10.0f} {now / then:>6.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--against", metavar="REV", help="compare with the code at git REV")
    args = parser.parse_args()
    if args.against:
        return compare(args.against, args.samples)
    figures: dict[str, dict[str, float]] = {}
    with LocalStack(quiet=True) as stack:
        base_env = dict(os.environ)
        baseline = statistics.median(
            sample("import boto3", base_env, []) for _ in range(args.samples)
        )
        print(f"import boto3 (baseline): {baseline * 1000:.0f} ms (median of {args.samples})")
        print(f"{'function':<20} {'init ms':>8} {'ratio':>6}  goal <= {GOAL}")
        for logical_id in stack.template.functions():
            function = stack.template.function(logical_id)
            env = {**base_env, **stack.invoker.environment(logical_id)}
            path = [str(d) for d in function.layer_dirs] + [str(function.code_dir)]
            body = IMPORT_HANDLER.format(source=str(function.code_dir / "app.py"))
            took = statistics.median(sample(body, env, path) for _ in range(args.samples))
            ratio = took / baseline
            figures[logical_id] = {"init_ms": round(took * 1000, 1), "ratio": round(ratio, 2)}
            verdict = "ok" if ratio <= GOAL else "OVER"
            print(f"{logical_id:<20} {took * 1000:>8.0f} {ratio:>6.2f}  {verdict}")
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing["cold_start"] = {"baseline_import_boto3_ms": round(baseline * 1000, 1), **figures}
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
