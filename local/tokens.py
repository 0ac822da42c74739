"""Development JWTs for the local HTTP front, which checks them as the API's authorizer would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ISSUER = "http://localhost/local-store"
AUDIENCE = "cbxero"
SIGNING_KEY = "local-development-signing-key-not-a-secret"
ALGORITHM = "HS256"
LIFETIME_HOURS = 8


def mint(reseller_id: str, user: str = "admin@reseller.example", **claims: Any) -> str:
    now = datetime.now(UTC)
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user,
        "email": user,
        "reseller_id": reseller_id,
        "iat": now,
        "exp": now + timedelta(hours=LIFETIME_HOURS),
        **claims,
    }
    return jwt.encode(body, SIGNING_KEY, algorithm=ALGORITHM)


def verify(token: str) -> dict[str, Any]:
    """The token's claims; raises jwt.PyJWTError when it is not one the local store issued."""
    claims: dict[str, Any] = jwt.decode(
        token, SIGNING_KEY, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER
    )
    return claims
