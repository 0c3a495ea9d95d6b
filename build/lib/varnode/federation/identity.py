"""A local identity provider for development and tests: a fresh key pair, its JWKS and
OpenID configuration served over HTTP on localhost, and GA4GH visas and passports minted
the way a Passport broker and a visa issuer do (RS256 JWS, `jku` and `kid` in the header).

Not for production: the key lives in memory and anyone on the host may fetch tokens'
keys. `varnode node demo` uses it so that a node can be tried in one command.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class LocalIdentityProvider:
    """An issuer with a fresh RSA key, whose JWKS an HTTP server on localhost serves."""

    def __init__(self, name: str = "issuer", port: int = 0) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"{name}-key-1"
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = f"{self.url}/{name}"
        self.jwks_url = f"{self.url}/{name}/jwks.json"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _handler(self):
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    issuer.jwks_url: issuer.jwks,
                    issuer.openid_configuration_url: issuer.openid_configuration,
                }
                document = documents.get(f"{issuer.url}{self.path}")
                if document is None:
                    self.send_error(404)
                    return
                body = json.dumps(document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def jwks(self) -> dict:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    @property
    def openid_configuration_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def openid_configuration(self) -> dict:
        """What an OpenID Connect provider publishes (WES servers find the JWKS here)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": self.jwks_url,
        }

    def trusted(self) -> dict:
        return {"issuer": self.issuer, "jwks_url": self.jwks_url}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- tokens ------------------------------------------------------------------------

    def sign(self, claims: dict, *, key=None, headers: dict | None = None) -> str:
        header = {"jku": self.jwks_url, "kid": self.kid, "typ": "JWT"}
        header.update(headers or {})
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers=header)

    def visa(
        self,
        visa_type: str,
        value: str,
        *,
        subject: str = "researcher@example.org",
        issued: float | None = None,
        lifetime: float = 3600,
        key=None,
        headers: dict | None = None,
        issuer: str | None = None,
    ) -> str:
        now = int(time.time() if issued is None else issued)
        claims = {
            "iss": issuer or self.issuer,
            "sub": subject,
            "iat": now,
            "exp": now + int(lifetime),
            "jti": f"{visa_type}-{value}-{now}",
            "ga4gh_visa_v1": {
                "type": visa_type,
                "asserted": now - 86400,
                "value": value,
                "source": "https://ega-archive.org/dacs/EGAC00000000001",
                "by": "dac",
            },
        }
        return self.sign(claims, key=key, headers=headers)

    def passport(
        self,
        *visas: str,
        subject: str = "researcher@example.org",
        audience: str | None = None,
        issued: float | None = None,
        lifetime: float = 3600,
        key=None,
    ) -> str:
        now = int(time.time() if issued is None else issued)
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "iat": now,
            "exp": now + int(lifetime),
            "ga4gh_passport_v1": list(visas),
        }
        if audience:
            claims["aud"] = audience
        # A broker's passport is an access token: no jku, its key is found by kid.
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})
