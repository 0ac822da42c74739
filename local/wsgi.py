"""A requests transport that hands each request to a WSGI app in the same process.

The real HTTP clients (XeroClient, SimpleApiClient) then talk to the emulators without a
socket: what tests and benchmarks use when they want speed more than a real network.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class WsgiAdapter(BaseAdapter):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self._client = app.test_client()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        answer = self._client.open(
            url.path,
            method=request.method,
            query_string=url.query,
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response._content = answer.get_data()
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


def session_for(apps: dict[str, Any]) -> requests.Session:
    """A session sending requests for each base URL to its app, e.g. {"http://xero": app}."""
    session = requests.Session()
    for base, app in apps.items():
        session.mount(base, WsgiAdapter(app))
    return session
