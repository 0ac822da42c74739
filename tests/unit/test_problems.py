"""What a failure says (for the Action Log and the dead-letter entry) is read at the edge: the
services know no AWS error shape."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ClientError

from cbxero.adapters.problems import problem_of
from cbxero.domain import errors

SERVICES = Path(__file__).parents[2] / "layers" / "cbxero" / "cbxero" / "services"


def test_an_aws_error_says_its_code() -> None:
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "-"}}, "Query"
    )
    assert problem_of(throttled) == "ProvisionedThroughputExceededException"
    assert errors.problem_of(throttled) == "ClientError"  # what a service alone could say


def test_a_domain_error_says_its_message_and_anything_else_its_kind() -> None:
    down = errors.UpstreamUnavailable("Xero answered 503")
    assert problem_of(down) == errors.problem_of(down) == "Xero answered 503"
    assert problem_of(KeyError("secret-token")) == "KeyError"  # never the text: it may hold one


def test_the_services_read_no_aws_error_shape() -> None:
    for module in SERVICES.rglob("*.py"):
        text = module.read_text()
        assert "botocore" not in text and "boto3." not in text, module
        assert '["Error"]' not in text and '.get("Error")' not in text, module
