"""Connecting a reseller to Xero (`connector`, with the consent flow's pieces in `consent`), and
handing out valid access tokens afterwards (`vault`)."""

from cbxero.services.connection.connector import XeroConnector
from cbxero.services.connection.consent import (
    CallbackOutcome,
    ConnectLink,
    StateSigner,
    checked_return_url,
    pkce_challenge,
)
from cbxero.services.connection.vault import TokenVault

__all__ = [
    "CallbackOutcome",
    "ConnectLink",
    "StateSigner",
    "TokenVault",
    "XeroConnector",
    "checked_return_url",
    "pkce_challenge",
]
