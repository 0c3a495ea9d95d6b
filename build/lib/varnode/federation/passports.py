"""GA4GH Passport and Visa verification (GA4GH AAI 1.2 / Passport 1.2), with pyjwt.

A caller sends a *passport*: a JWT whose claim `ga4gh_passport_v1` lists *visas*, each
a JWS signed by the visa's issuer. The node keeps a list of trusted issuers, each an
`iss` with the URL of its JWKS. Nothing is decoded before its signature is checked:
only the JOSE header (alg, kid, jku) is read first, to pick the key.

For every token (the passport envelope and each visa):
- `alg` must be an asymmetric algorithm (never `none`, never HMAC: a shared secret
  would let anyone holding the public JWKS forge tokens);
- `jku`, when present, must be the JWKS URL of a trusted issuer (visas must carry it,
  as the Embedded Document Token format requires); the key is the JWKS entry named by
  `kid` (or the only one), fetched from that URL only;
- the signature must verify, `iss` must be the issuer that owns the key, `exp`, `iat`
  (and `nbf`) are required and checked with a small leeway;
- a visa with `conditions` is rejected: this node does not evaluate them, and the
  specification forbids using a visa whose conditions are not understood.

A rejected visa is logged with its reason and dropped; the rest still count. A rejected
passport envelope rejects everything. `verify_passport` never raises for bad tokens: it
returns what was accepted and why the rest was not, so the caller can fall back to the
public tier or answer 401.

Used by the Beacon (varnode.federation.beacon) and meant for every service of a node:

    verifier = verifier_from_config(config["passports"])
    passport = verifier.verify_passport(bearer_token(request.headers.get("Authorization")))
    passport.identity                 # "issuer#subject", for accounting (None if rejected)
    passport.has_researcher_status()  # a valid ResearcherStatus visa
    passport.granted_datasets()       # values of valid ControlledAccessGrants visas
    passport.rejected                 # why each rejected token was refused
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import yaml

from varnode.errors import VarnodeError

log = logging.getLogger("varnode.passports")

PASSPORT_CLAIM = "ga4gh_passport_v1"
VISA_CLAIM = "ga4gh_visa_v1"
RESEARCHER_STATUS = "ResearcherStatus"
CONTROLLED_ACCESS_GRANTS = "ControlledAccessGrants"
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
REQUIRED_CLAIMS = ["iss", "sub", "iat", "exp"]


class PassportError(VarnodeError):
    """A token that must not be trusted; the message says why."""


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose visas (or passports) this node accepts, and where its keys are."""

    issuer: str
    jwks_url: str


@dataclass(frozen=True)
class Visa:
    """A verified visa's claims."""

    type: str
    value: str
    source: str
    by: str | None
    asserted: int
    issuer: str
    subject: str
    expires: int


@dataclass(frozen=True)
class Passport:
    """The outcome of verifying a passport: its holder, accepted visas, reasons for the rest.

    `subject` is None when the envelope itself was rejected (then `visas` is empty).
    """

    subject: str | None
    issuer: str | None
    visas: tuple[Visa, ...] = ()
    rejected: tuple[str, ...] = ()

    @property
    def identity(self) -> str | None:
        """Who holds the passport, for per-user accounting: issuer and subject."""
        return f"{self.issuer}#{self.subject}" if self.subject else None

    def has_researcher_status(self) -> bool:
        return any(visa.type == RESEARCHER_STATUS for visa in self.visas)

    def granted_datasets(self) -> set[str]:
        """Values of the ControlledAccessGrants visas (dataset ids or URLs)."""
        return {visa.value for visa in self.visas if visa.type == CONTROLLED_ACCESS_GRANTS}


def load_trusted_issuers(entries: Iterable[dict] | str | Path) -> list[TrustedIssuer]:
    """Trusted issuers from config entries `{issuer: ..., jwks_url: ...}` or a YAML file."""
    if isinstance(entries, str | Path):
        path = Path(entries)
        try:
            entries = yaml.safe_load(path.read_text()) or []
        except (OSError, yaml.YAMLError) as error:
            raise VarnodeError(f"trusted issuers {path}: unreadable ({error})") from None
    issuers = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("issuer") or not entry.get("jwks_url"):
            raise VarnodeError(f"trusted issuer [{i}]: needs 'issuer' and 'jwks_url', got {entry}")
        issuers.append(TrustedIssuer(str(entry["issuer"]), str(entry["jwks_url"])))
    return issuers


def _fetch_json(url: str, timeout: float = 5.0) -> dict:
    # Only URLs of the trusted list reach here (see PassportVerifier._candidate_issuers).
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


@dataclass
class JwksCache:
    """JWKS documents of trusted issuers, fetched on demand and kept for `ttl` seconds.

    An unknown `kid` triggers one early refetch (key rotation), at most once every
    `refetch_after` seconds, so that tokens with made-up kids cannot hammer the issuer.
    """

    ttl: float = 300.0
    refetch_after: float = 60.0
    fetch: Callable[[str], dict] = _fetch_json
    _documents: dict[str, tuple[float, dict]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, url: str, refresh: bool = False) -> list[dict]:
        with self._lock:
            fetched_at, document = self._documents.get(url, (0.0, {}))
            age = time.monotonic() - fetched_at
            if not document or age > self.ttl or (refresh and age >= self.refetch_after):
                try:
                    document = self.fetch(url)
                except (OSError, ValueError) as error:
                    raise PassportError(f"JWKS {url} unavailable ({error})") from None
                self._documents[url] = (time.monotonic(), document)
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise PassportError(f"JWKS {url}: no 'keys' list")
        return keys


class PassportVerifier:
    """Verifies passports and visas against a list of trusted issuers."""

    def __init__(
        self,
        trusted: Iterable[TrustedIssuer],
        *,
        leeway: float = 30.0,
        audience: str | None = None,
        jwks: JwksCache | None = None,
    ) -> None:
        self.trusted = list(trusted)
        self.leeway = leeway
        self.audience = audience
        self.jwks = jwks or JwksCache()

    # --- one token -------------------------------------------------------------------

    def _candidate_issuers(self, header: dict, require_jku: bool) -> list[TrustedIssuer]:
        jku = header.get("jku")
        if jku is None:
            if require_jku:
                raise PassportError("no 'jku' in the header (visas must name their JWKS)")
            return self.trusted
        matching = [issuer for issuer in self.trusted if issuer.jwks_url == jku]
        if not matching:
            raise PassportError(f"jku {jku} is not the JWKS of a trusted issuer")
        return matching

    def _key(self, issuer: TrustedIssuer, header: dict) -> jwt.PyJWK | None:
        kid = header.get("kid")
        for refresh in (False, True):
            keys = self.jwks.keys(issuer.jwks_url, refresh=refresh)
            chosen = [k for k in keys if kid is None or k.get("kid") == kid]
            if kid is None and len(chosen) > 1:
                raise PassportError(f"no 'kid' and JWKS {issuer.jwks_url} holds several keys")
            if chosen:
                try:
                    return jwt.PyJWK(chosen[0], algorithm=header["alg"])
                except jwt.PyJWTError as error:
                    raise PassportError(f"key {kid} of {issuer.issuer}: {error}") from None
        return None

    def verify_token(self, token: str, *, require_jku: bool) -> tuple[dict, TrustedIssuer]:
        """Verify a JWS against the trusted issuers; return its claims and its issuer."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise PassportError(f"not a JWS ({error})") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise PassportError(f"alg {algorithm!r} not accepted ({', '.join(ALLOWED_ALGORITHMS)})")
        for issuer in self._candidate_issuers(header, require_jku):
            key = self._key(issuer, header)
            if key is None:
                continue
            try:
                claims = jwt.decode(
                    token,
                    key=key,
                    algorithms=[algorithm],
                    issuer=issuer.issuer,
                    audience=self.audience,
                    leeway=self.leeway,
                    options={"require": REQUIRED_CLAIMS, "verify_aud": self.audience is not None},
                )
            except jwt.ImmatureSignatureError:
                raise PassportError("not yet valid (iat or nbf in the future)") from None
            except jwt.ExpiredSignatureError:
                raise PassportError("expired") from None
            except jwt.InvalidIssuerError:
                raise PassportError(f"iss is not {issuer.issuer}, whose key signed it") from None
            except jwt.InvalidSignatureError:
                raise PassportError(f"bad signature (key {header.get('kid')})") from None
            except jwt.PyJWTError as error:
                raise PassportError(str(error)) from None
            return claims, issuer
        raise PassportError(f"no trusted issuer holds key {header.get('kid')!r}")

    def verify_visa(self, token: str) -> Visa:
        claims, issuer = self.verify_token(token, require_jku=True)
        visa = claims.get(VISA_CLAIM)
        if not isinstance(visa, dict):
            raise PassportError(f"no {VISA_CLAIM} claim")
        missing = [key for key in ("type", "asserted", "value", "source") if key not in visa]
        if missing:
            raise PassportError(f"{VISA_CLAIM} lacks {', '.join(missing)}")
        if visa.get("conditions"):
            raise PassportError("has conditions, which this node does not evaluate")
        return Visa(
            type=str(visa["type"]),
            value=str(visa["value"]),
            source=str(visa["source"]),
            by=visa.get("by"),
            asserted=int(visa["asserted"]),
            issuer=issuer.issuer,
            subject=str(claims["sub"]),
            expires=int(claims["exp"]),
        )

    # --- a passport ------------------------------------------------------------------

    def verify_passport(self, token: str) -> Passport:
        """Verify the envelope, then each visa; never raises for a bad token."""
        try:
            claims, issuer = self.verify_token(token, require_jku=False)
        except PassportError as error:
            log.warning("passport rejected: %s", error)
            return Passport(None, None, (), (f"passport: {error}",))
        visas, rejected = [], []
        tokens = claims.get(PASSPORT_CLAIM)
        if not isinstance(tokens, list):
            tokens = []
            rejected.append(f"passport: no {PASSPORT_CLAIM} list")
        for i, visa_token in enumerate(tokens):
            try:
                visas.append(self.verify_visa(str(visa_token)))
            except PassportError as error:
                log.warning("visa %d of %s rejected: %s", i, claims["sub"], error)
                rejected.append(f"visa {i}: {error}")
        return Passport(str(claims["sub"]), issuer.issuer, tuple(visas), tuple(rejected))


def verifier_from_config(section: dict) -> PassportVerifier:
    """A verifier for the validated config's `passports:` section."""
    return PassportVerifier(
        load_trusted_issuers(section.get("trusted_issuers", [])),
        leeway=float(section.get("leeway_seconds", 30)),
        audience=section.get("audience") or None,
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PassportError("Authorization header is not 'Bearer <passport JWT>'")
    return token.strip()
