"""The web app's first load: its size and the time to the dashboard's first meaningful paint.

Size: index.html and the script and stylesheet it names (web/dist, as `make web` built it), each
gzipped at level 9, summed. Goal <= 150 KB. Baseline: the Swagger UI page the same front serves
at /docs (its page, stylesheet and script), gzipped the same way.

Time: on the local stack (a connected demo reseller, so the dashboard has figures to show), in
headless Debian chromium through Playwright, a fresh browser context each run (nothing cached):
from the navigation to the store page (its performance.timeOrigin) until the dashboard's
figures are painted in the app's frame. That moment is the `cbxero:dashboard-painted`
performance mark when the bundle has it (the dashboard sets it in the frame in which its data
is first shown); otherwise the first animation frame in which the dashboard's heading is up
and no loading indicator (`.loading`) is left in the frame. Median of N runs; goal <= 1 s.
Baseline: the same measure for /docs, until Swagger UI has painted the API's title.

Run: make bench   (or PYTHONPATH=layers/cbxero:. .venv/bin/python -m benchmarks.web [--runs N])
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from local.http_front import SWAGGER_DIR, SWAGGER_PAGE
from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
DIST = ROOT / "web" / "dist"
MARK = "cbxero:dashboard-painted"
GOAL_KB = 150.0
GOAL_MS = 1000.0
ASSET = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*\bhref)="(/assets/[^"]+)"')

# Runs in every frame before its own scripts (Playwright's init script, outside the page's
# CSP); in the frame being timed it records the epoch time of the painted moment.
PROBE = """
(() => {
  if (!(%(where)s)) return;
  const tick = () => {
    const at = (() => { %(painted)s })();
    if (at !== undefined) { window.__painted = performance.timeOrigin + at; return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""
BY_MARK = f"""
  const mark = performance.getEntriesByName({json.dumps(MARK)}, "mark")[0];
  return mark ? mark.startTime : undefined;
"""
BY_SETTLING = """
  const heading = document.querySelector("main#main[data-session] h1");
  const settled = heading && heading.textContent.trim() === "Dashboard"
    && !document.querySelector("main .loading");
  return settled ? performance.now() : undefined;
"""
SWAGGER_PAINTED = """
  return document.querySelector(".swagger-ui .info .title") ? performance.now() : undefined;
"""


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def first_load() -> tuple[dict[str, int], bytes]:
    """The app's first load: index.html and what it names, each one's gzip size in bytes."""
    page = (DIST / "index.html").read_bytes()
    files = {"index.html": gzipped(page)}
    for asset in ASSET.findall(page.decode()):
        files[asset.lstrip("/")] = gzipped((DIST / asset.lstrip("/")).read_bytes())
    script = b"".join((DIST / name).read_bytes() for name in files if name.endswith(".js"))
    return files, script


def swagger_load() -> int:
    return (
        gzipped(SWAGGER_PAGE.encode())
        + gzipped((SWAGGER_DIR / "swagger-ui.css").read_bytes())
        + gzipped((SWAGGER_DIR / "swagger-ui-bundle.js").read_bytes())
    )


def painted_ms(browser: Browser, url: str, where: str, painted: str) -> float:
    """One cold load of `url`: ms from its navigation until the timed frame's painted moment."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(30_000)
        context.add_init_script(PROBE % {"where": where, "painted": painted})
        page = context.new_page()
        page.goto(url)
        started: float = page.evaluate("() => performance.timeOrigin")
        for _ in range(600):
            for frame in page.frames:
                try:
                    at = frame.evaluate("() => window.__painted")
                except PlaywrightError:  # a frame between two documents
                    continue
                if at is not None:
                    return float(at) - started
            page.wait_for_timeout(50)
        raise TimeoutError(f"{url}: nothing painted within 30 s")
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        print("web/dist is not built: run `make web` first")
        return 1
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium on PATH: `make setup` installs Debian's package")
        return 1

    files, script = first_load()
    app_bytes, swagger_bytes = sum(files.values()), swagger_load()
    by_mark = MARK.encode() in script
    with LocalStack(quiet=True) as stack, sync_playwright() as playwright:
        stack.seed_demo_reseller()
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        app_origin = json.dumps(stack.app_url.rstrip("/"))
        in_app = f"location.origin === {app_origin}"
        in_docs = f"location.href === {json.dumps(stack.front_url + '/docs')}"
        app_runs, docs_runs = [], []
        for _ in range(args.runs):  # in turn, so the machine's noise falls on both alike
            app_runs.append(
                painted_ms(browser, stack.store_url, in_app, BY_MARK if by_mark else BY_SETTLING)
            )
            docs_runs.append(
                painted_ms(browser, stack.front_url + "/docs", in_docs, SWAGGER_PAINTED)
            )
        browser.close()
    app_ms, docs_ms = statistics.median(app_runs), statistics.median(docs_runs)

    print("first load, gzip -9:")
    for name, size in files.items():
        print(f"  {name:<32} {size / 1024:>7.1f} KB")
    kb, swagger_kb = app_bytes / 1024, swagger_bytes / 1024
    size_ok = kb <= GOAL_KB
    print(
        f"  together {kb:.1f} KB; Swagger UI at /docs {swagger_kb:.1f} KB; ratio "
        f"{kb / swagger_kb:.3f}; goal <= {GOAL_KB:.0f} KB: {'ok' if size_ok else 'OVER'}"
    )
    moment = "mark" if by_mark else "settled"
    time_ok = app_ms <= GOAL_MS
    print(
        f"dashboard's first meaningful paint ({moment}), median of {args.runs} cold loads: "
        f"{app_ms:.0f} ms (runs {', '.join(f'{r:.0f}' for r in app_runs)});"
    )
    print(
        f"  Swagger UI's first paint at /docs {docs_ms:.0f} ms; ratio {app_ms / docs_ms:.2f}; "
        f"goal <= {GOAL_MS:.0f} ms: {'ok' if time_ok else 'OVER'}"
    )
    existing: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing["web_first_load_gzip_kb"] = {
        "value": round(kb, 1),
        "files": {name: round(size / 1024, 1) for name, size in files.items()},
        "swagger_ui_gzip_kb": round(swagger_kb, 1),
        "ratio_to_swagger_ui": round(kb / swagger_kb, 3),
        "goal": GOAL_KB,
    }
    existing["web_dashboard_paint_ms"] = {
        "value": round(app_ms),
        "moment": moment,
        "runs": args.runs,
        "swagger_ui_paint_ms": round(docs_ms),
        "ratio_to_swagger_ui": round(app_ms / docs_ms, 2),
        "goal": GOAL_MS,
    }
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if size_ok and time_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
