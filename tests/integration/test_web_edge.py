"""What CloudFront runs for the web app, run here: the two CloudFront Functions of template.yaml
(cloudfront-js-2.0 code, run by node with the event shape CloudFront passes), and
scripts/publish-web against a stand-in `aws` that records its calls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from local import template as cfn
from local import web_host

TEMPLATE = cfn.load()
STORE_ORIGINS = ["https://store.example.com", "https://store.example.net:8443"]
NODE = shutil.which("node")


def _code(function: str) -> str:
    code = TEMPLATE.resources[function]["Properties"]["FunctionCode"]
    if isinstance(code, str):
        return code
    text, variables = code["Fn::Sub"]
    assert variables == {"Origins": {"Fn::Join": ['", "', {"Ref": "StoreOrigins"}]}}
    return str(text).replace("${Origins}", '", "'.join(STORE_ORIGINS))


def _run(function: str, uris: list[str]) -> list[dict[str, Any]]:
    """The function's handler on a viewer request for each URI, as CloudFront calls it."""
    if NODE is None:
        pytest.skip("node is not on PATH (make web needs it too)")
    script = _code(function) + (
        "\nconst uris = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(uris.map((uri) => handler({version: '1.0',"
        " context: {eventType: 'viewer-request'}, viewer: {ip: '198.51.100.1'},"
        " request: {method: 'GET', uri, querystring: {limit: {value: '5'}},"
        " headers: {authorization: {value: 'Bearer t'}}, cookies: {}}}))));"
    )
    done = subprocess.run(  # noqa: S603 - node on the template's own code
        [NODE, "-e", script, json.dumps(uris)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def test_the_edge_answers_config_json_as_the_local_host_does() -> None:
    answer, passed = _run("WebConfigFunction", ["/config.json", "/index.html"])
    app = Flask("web")
    web_host.WebHost(STORE_ORIGINS).install(app)
    local = app.test_client().get("/config.json")
    assert answer["statusCode"] == 200
    assert answer["body"]["encoding"] == "text"
    assert json.loads(answer["body"]["data"]) == local.get_json() == {"storeOrigins": STORE_ORIGINS}
    assert answer["headers"]["content-type"]["value"] == local.mimetype
    assert answer["headers"]["cache-control"]["value"] == local.headers["Cache-Control"]
    assert passed["uri"] == "/index.html" and "statusCode" not in passed  # on to the bucket


def test_the_api_function_strips_the_prefix_and_nothing_else() -> None:
    uris = ["/api/tasks", "/api/tasks/api/x", "/api/api/settings", "/api", "/api/", "/apiary"]
    answers = _run("ApiPrefixFunction", uris)
    assert [a["uri"] for a in answers] == [
        "/tasks",
        "/tasks/api/x",
        "/api/settings",
        "/",
        "/",
        "/apiary",
    ]
    for answer in answers:  # the request goes on as it came, but for its path
        assert answer["querystring"] == {"limit": {"value": "5"}}
        assert answer["headers"] == {"authorization": {"value": "Bearer t"}}
        assert answer["method"] == "GET"


FAKE_AWS = """#!/usr/bin/env bash
echo "$*" >> "$AWS_CALLS"
case "$1 $2" in
  "sts get-caller-identity") [ -n "${FAKE_NO_CREDENTIALS:-}" ] && exit 255; echo '{}' ;;
  "cloudformation describe-stacks")
    case "$*" in
      *WebBucket*) echo cbxero-dev-webbucket-1 ;;
      *DistributionId*) echo E2EXAMPLE ;;
      *WebUrl*) echo https://d111111abcdef8.cloudfront.net/ ;;
    esac ;;
  "cloudfront create-invalidation") echo I2EXAMPLE ;;
esac
"""


def _publish(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "connected.html", "assets/app-X1.js"):
        (dist / name).write_text("x")
    calls = tmp_path / "calls"
    calls.write_text("")
    done = subprocess.run(  # noqa: S603 - the project's own script
        [str(cfn.ROOT / "scripts" / "publish-web"), "cbxero-test"],
        capture_output=True,
        text=True,
        timeout=30,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DIST": str(dist),
            "AWS_CALLS": str(calls),
            **env,
        },
    )
    return done, calls.read_text().splitlines()


def test_publish_web_uploads_with_the_local_caching_and_invalidates_the_pages(
    tmp_path: Path,
) -> None:
    done, calls = _publish(tmp_path)
    assert done.returncode == 0, done.stderr
    dist = tmp_path / "dist"
    assert (
        f"s3 sync {dist}/assets s3://cbxero-dev-webbucket-1/assets "
        f"--cache-control {web_host.ASSET_CACHE} --only-show-errors"
    ) in calls
    for page in ("index.html", "connected.html"):
        assert any(
            c.startswith(f"s3 cp {dist}/{page} s3://cbxero-dev-webbucket-1/{page} ")
            and f"--cache-control {web_host.PAGE_CACHE} " in c
            for c in calls
        ), calls
    assert calls[-1].startswith("cloudfront create-invalidation --distribution-id E2EXAMPLE")
    assert "--paths /index.html /connected.html" in calls[-1]
    assert all("--stack-name cbxero-test" in c for c in calls if "describe-stacks" in c)
    assert "https://d111111abcdef8.cloudfront.net/" in done.stdout


def test_publish_web_fails_clearly_without_the_cli_or_credentials(tmp_path: Path) -> None:
    done, calls = _publish(tmp_path, FAKE_NO_CREDENTIALS="1")
    assert done.returncode == 1 and "no usable AWS credentials" in done.stderr
    assert not any(c.startswith("s3 ") for c in calls)
    (tmp_path / "bin" / "aws").unlink()
    without = subprocess.run(  # noqa: S603 - the project's own script
        [str(cfn.ROOT / "scripts" / "publish-web")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PATH": "/usr/bin:/bin", "DIST": str(tmp_path / "dist")},
    )
    assert without.returncode == 1 and "the AWS CLI is needed" in without.stderr
