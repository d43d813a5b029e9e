"""Throwaway RSA keys and App JWTs for tests of GitHub App authentication."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyPair:
    """A PEM-encoded RSA key pair: the private half signs App JWTs, the public half verifies."""

    private_pem: str
    public_pem: str


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """Make a fresh RSA key pair (2048 bits: PyJWT warns about shorter keys)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem=private_pem, public_pem=public_pem)


@lru_cache(maxsize=1)
def shared_key_pair() -> KeyPair:
    """One key pair per test process, since generating keys costs tens of milliseconds."""
    return generate_key_pair()


def make_app_jwt(
    app_id: int | str, private_pem: str, *, expires_in: int = 300, issued_at: int = -60
) -> str:
    """Sign an App JWT the way PyGithub's `Auth.AppAuth` does (for hand-made bad tokens)."""
    now = int(time.time())
    claims = {"iat": now + issued_at, "exp": now + expires_in, "iss": str(app_id)}
    return jwt.encode(claims, private_pem, algorithm="RS256")
