"""Tokens sealed with KMS: only a function allowed to decrypt with the token key can read them,
and the encryption context ties each ciphertext to its reseller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cbxero.ports import TokenCipher

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

PURPOSE = "cbxero-xero-tokens"


class KmsTokenCipher(TokenCipher):
    def __init__(self, client: KMSClient, key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    @staticmethod
    def _context(reseller_id: str) -> dict[str, str]:
        return {"purpose": PURPOSE, "reseller_id": reseller_id}

    def seal(self, reseller_id: str, plaintext: bytes) -> bytes:
        return self._client.encrypt(
            KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=self._context(reseller_id)
        )["CiphertextBlob"]

    def open(self, reseller_id: str, sealed: bytes) -> bytes:
        return self._client.decrypt(
            KeyId=self._key_id, CiphertextBlob=sealed, EncryptionContext=self._context(reseller_id)
        )["Plaintext"]
