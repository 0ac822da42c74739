"""Xero's intent-to-receive check on a cold container: the webhook function's init, then its
first answer (the key read from Secrets Manager, boto3 loaded on the way), each in a fresh
Python process against the local stack. Xero wants the answer within 5 seconds.

Run: PYTHONPATH=layers/cbxero:. .venv/bin/python -m benchmarks.webhook_answer [--samples N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from cbxero.services.xero_webhook import signature_of
from local.stack import LocalStack

FUNCTION = "XeroWebhookFunction"
XERO_LIMIT_MS = 5000
PROBE = r"""
import importlib.util, json, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
init = time.perf_counter() - start


class Context:
    function_name = "xero-webhook"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:xero-webhook"
    aws_request_id = "benchmark"


start = time.perf_counter()
answer = module.handler(json.loads(sys.argv[2]), Context())
first = time.perf_counter() - start
print(json.dumps({"init": init, "first": first, "status": answer["statusCode"]}))
"""
CHECK = b'{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    with LocalStack(quiet=True) as stack:
        function = stack.template.function(FUNCTION)
        path = [str(d) for d in function.layer_dirs] + [str(function.code_dir)]
        env = {
            **os.environ,
            **stack.invoker.environment(FUNCTION),
            "PYTHONPATH": os.pathsep.join(path),
        }
        signature = signature_of(stack.webhook_key.encode(), CHECK)
        event = json.dumps({"headers": {"x-xero-signature": signature}, "body": CHECK.decode()})
        runs = []
        for _ in range(args.samples):
            done = subprocess.run(
                [sys.executable, "-c", PROBE, str(function.code_dir / "app.py"), event],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    statuses = {run["status"] for run in runs}
    init, first = (statistics.median(run[k] for run in runs) * 1000 for k in ("init", "first"))
    print(f"cold intent-to-receive, median of {args.samples}: init {init:.0f} ms, first answer")
    print(f"{first:.0f} ms, together {init + first:.0f} ms (Xero's limit {XERO_LIMIT_MS} ms);")
    print(f"statuses {sorted(statuses)}")
    return 0 if statuses == {200} and init + first < XERO_LIMIT_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
