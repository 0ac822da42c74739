"""The web app as deployed (template.yaml's CloudFront pieces) against the local stack's host
(local/web_host.py), so that what the browser tests prove locally holds behind CloudFront: the
same Content-Security-Policy and security headers, the same caching, and the app's host allowed
as connect's return host. Running the edge functions' code is in
tests/integration/test_web_edge.py (it needs node)."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import base as parameters_base
from flask import Flask
from moto import mock_aws

from cbxero.composition import _app_hosts
from local import template as cfn
from local import web_host

TEMPLATE = cfn.load()
RESOURCES = TEMPLATE.resources
STORE_ORIGINS = TEMPLATE.parameter_defaults()["StoreOrigins"].split(",")
PUBLISH = cfn.ROOT / "scripts" / "publish-web"


def _sub(value: Any, variables: dict[str, str]) -> str:
    """A `!Sub [text, {name: value}]` with its variables given."""
    text, _ = value["Fn::Sub"]
    return re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], text)


def _headers_policy() -> dict[str, Any]:
    config = RESOURCES["WebHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security: dict[str, Any] = config["SecurityHeadersConfig"]
    return security


def test_cloudfront_sends_the_local_policy_with_the_store_origins_as_frame_ancestors() -> None:
    csp = _headers_policy()["ContentSecurityPolicy"]
    assert csp["Override"] is True
    (_, variables) = csp["ContentSecurityPolicy"]["Fn::Sub"]
    assert variables == {"Ancestors": {"Fn::Join": [" ", {"Ref": "StoreOrigins"}]}}
    deployed = _sub(csp["ContentSecurityPolicy"], {"Ancestors": " ".join(STORE_ORIGINS)})
    assert deployed == web_host.policy(STORE_ORIGINS)
    # and the part before frame-ancestors is the local constant itself, word for word
    assert deployed.split("; frame-ancestors ")[0] == web_host.CONTENT_SECURITY_POLICY


def test_cloudfront_sends_the_other_security_headers_of_the_local_host() -> None:
    local = web_host.security_headers(STORE_ORIGINS)
    security = _headers_policy()
    assert security["ContentTypeOptions"] == {"Override": True}
    assert local["X-Content-Type-Options"] == "nosniff"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == local["Referrer-Policy"]
    hsts = security["StrictTransportSecurity"]
    assert local["Strict-Transport-Security"] == (
        f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "")
    )


def test_every_behaviour_is_https_and_carries_the_headers_policy() -> None:
    config = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behaviour in behaviours:
        assert behaviour["ViewerProtocolPolicy"] in {"redirect-to-https", "https-only"}
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "WebHeadersPolicy"}
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    # the app's base path for the API (web/src/config.ts) is the one CloudFront routes
    assert 'API_BASE = "/api"' in (cfn.ROOT / "web" / "src" / "config.ts").read_text()


def test_only_the_distribution_reads_the_private_bucket() -> None:
    bucket = RESOURCES["WebBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    statements = RESOURCES["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "ThisDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "aws:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                        ":distribution/${WebDistribution}"
                    }
                }
            },
        }
    ]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_publish_web_uploads_with_the_caching_the_local_host_serves() -> None:
    script = PUBLISH.read_text()
    declared = dict(re.findall(r'^(ASSET_CACHE|PAGE_CACHE)="([^"]*)"$', script, re.MULTILINE))
    assert declared == {"ASSET_CACHE": web_host.ASSET_CACHE, "PAGE_CACHE": web_host.PAGE_CACHE}
    app = Flask("web")
    web_host.WebHost(STORE_ORIGINS).install(app)
    client = app.test_client()
    assert client.get("/config.json").headers["Cache-Control"] == web_host.CONFIG_CACHE
    # the pages the script uploads and invalidates are the pages the local host serves
    pages = re.search(r"^PAGES=\(([^)]*)\)$", script, re.MULTILINE)
    assert pages is not None and pages.group(1).split() == ["index.html", "connected.html"]
    served = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/index.html", "/connected.html"} <= served


def test_the_oauth_function_allows_the_app_host_the_stack_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parameter = RESOURCES["WebHostParameter"]["Properties"]
    env = TEMPLATE.function("OAuthFunction").environment
    # the same name on both sides, built from the stack's name: no reference, so no cycle
    assert env["APP_HOST_PARAMETER"] == parameter["Name"]
    assert "WebHostParameter" not in str(RESOURCES["OAuthFunction"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Powertools keeps one SSM client per process: neither an earlier test's nor this one's
    # (moto's) may serve another test
    parameters_base.DEFAULT_PROVIDERS.pop("ssm", None)  # type: ignore[attr-defined]
    try:
        with mock_aws():
            ssm = boto3.client("ssm", region_name="us-east-1")
            ssm.put_parameter(Name="/cbxero/unit/web-host", Value="d1.example", Type="String")
            assert _app_hosts("/cbxero/unit/web-host") == ["d1.example"]
            assert _app_hosts("/cbxero/unit/not-written-yet") == []
    finally:
        parameters_base.DEFAULT_PROVIDERS.pop("ssm", None)  # type: ignore[attr-defined]
    assert _app_hosts(None) == []


def _dependencies(value: Any) -> set[str]:
    """The resources a template value names (Ref, GetAtt, Sub), as CloudFormation orders them."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= _dependencies(inner)
            else:
                found |= _dependencies(inner)
        return found
    if isinstance(value, list):
        return set().union(*(_dependencies(v) for v in value))
    return set()


def test_the_transformed_template_has_no_dependency_cycle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sam validate --lint does not see one: with the distribution's domain in the OAuth
    # function's environment it passed, while CloudFormation refuses HttpApi -> OAuthFunction ->
    # WebDistribution -> HttpApi (this test named that cycle).
    from unittest.mock import MagicMock

    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    body = yaml_parse(cfn.TEMPLATE.read_text())
    for resource in body["Resources"].values():  # packaged, as `sam deploy` sends it
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    policies = MagicMock()
    policies.load.return_value = {}
    resources = transform(body, {}, policies)["Resources"]
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        after = resource.get("DependsOn", [])
        graph[name] = (
            _dependencies(resource) | set([after] if isinstance(after, str) else after)
        ) & set(resources)
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for needed in sorted(graph[name]):
            assert needed not in path, "cycle: " + " -> ".join([*path, needed])
            if needed not in done:
                visit(needed, [*path, needed])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
