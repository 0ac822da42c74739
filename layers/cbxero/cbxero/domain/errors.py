"""Domain exceptions; the doors map each to one HTTP status in one place."""


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"


class StaleVersion(DomainError):
    """An If-Match that no longer names the stored version: someone else saved meanwhile."""

    code = "precondition_failed"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class NotConnected(DomainError):
    """The reseller has no usable Xero connection (never connected, or reconnect needed)."""

    code = "not_connected"


class ReconnectNeeded(NotConnected):
    code = "reconnect_needed"


class DocumentRejected(DomainError):
    """Xero refused a document (validation errors); sending it again as it is will not help."""

    code = "document_rejected"


class AuthorizationRefused(DomainError):
    """Xero would not exchange the authorization code (bad, used or expired)."""

    code = "authorization_refused"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class UpstreamUnavailable(DomainError):
    """Xero or the marketplace failed in a way worth retrying later."""

    code = "upstream_unavailable"


class RateLimited(DomainError):
    """Xero's limits allow no call for a while: the job waits retry_after seconds, whole."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def problem_of(failure: BaseException) -> str:
    """What went wrong, short and free of secrets: a domain error's own message, else the kind
    of exception. (The adapters' reading adds what their platform's errors say.)"""
    if isinstance(failure, DomainError):
        return failure.message[:200]
    return type(failure).__name__
