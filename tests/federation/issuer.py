"""A local GA4GH visa issuer for tests (varnode.federation.identity), and the bad tokens
the verifier must refuse.
"""

from __future__ import annotations

import jwt

from varnode.federation.identity import LocalIdentityProvider as Issuer

__all__ = ["Issuer", "unsigned"]


def unsigned(claims: dict, jku: str) -> str:
    """An `alg: none` token, as an attacker would send it."""
    return jwt.encode(claims, None, algorithm="none", headers={"jku": jku})
