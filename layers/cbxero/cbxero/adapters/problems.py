"""What a failure says, read at the edge: an AWS error's code (botocore's `response['Error']`),
else what the domain makes of it. The services take this reading as a plain function, so they
know nothing of AWS's error shapes."""

from __future__ import annotations

from cbxero.domain import errors


def problem_of(failure: BaseException) -> str:
    """What went wrong, short and free of secrets: the AWS error code, a domain error's own
    message, else the kind of exception."""
    response = getattr(failure, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return errors.problem_of(failure)
