"""Passport and visa verification against a local issuer whose JWKS is served over HTTP."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.federation.issuer import Issuer, unsigned
from varnode.errors import VarnodeError
from varnode.federation.passports import (
    CONTROLLED_ACCESS_GRANTS,
    RESEARCHER_STATUS,
    JwksCache,
    PassportError,
    PassportVerifier,
    bearer_token,
    load_trusted_issuers,
)


@pytest.fixture(scope="module")
def issuer():
    issuer = Issuer("trusted")
    yield issuer
    issuer.close()


@pytest.fixture(scope="module")
def stranger():
    stranger = Issuer("stranger")
    yield stranger
    stranger.close()


@pytest.fixture
def verifier(issuer):
    return PassportVerifier(load_trusted_issuers([issuer.trusted()]))


def test_valid_visas_are_accepted_with_their_claims(issuer, verifier):
    passport = verifier.verify_passport(
        issuer.passport(
            issuer.visa(RESEARCHER_STATUS, "https://doi.org/10.1038/s41431-018-0219-y"),
            issuer.visa(CONTROLLED_ACCESS_GRANTS, "node-a"),
        )
    )
    assert passport.rejected == ()
    assert passport.subject == "researcher@example.org"
    assert passport.identity == f"{issuer.issuer}#researcher@example.org"
    assert passport.has_researcher_status()
    assert passport.granted_datasets() == {"node-a"}
    assert {visa.issuer for visa in passport.visas} == {issuer.issuer}


@pytest.mark.parametrize(
    "case",
    ["forged", "expired", "not_yet_valid", "wrong_issuer_claim", "untrusted_jku", "no_jku"],
)
def test_bad_visas_are_rejected_and_the_good_one_kept(issuer, stranger, verifier, case):
    now = time.time()
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        # Signed with another key under the trusted issuer's kid and jku.
        "forged": lambda: issuer.visa(RESEARCHER_STATUS, "x", key=forger_key),
        "expired": lambda: issuer.visa(RESEARCHER_STATUS, "x", issued=now - 7200, lifetime=60),
        "not_yet_valid": lambda: issuer.visa(RESEARCHER_STATUS, "x", issued=now + 3600),
        # The trusted key signs, but the visa claims to come from someone else.
        "wrong_issuer_claim": lambda: issuer.visa(RESEARCHER_STATUS, "x", issuer=stranger.issuer),
        # A well-signed visa of an issuer this node does not trust.
        "untrusted_jku": lambda: stranger.visa(RESEARCHER_STATUS, "x"),
        "no_jku": lambda: issuer.visa(RESEARCHER_STATUS, "x", headers={"jku": None}),
    }[case]()
    good = issuer.visa(CONTROLLED_ACCESS_GRANTS, "node-a")
    passport = verifier.verify_passport(issuer.passport(bad, good))
    assert [visa.type for visa in passport.visas] == [CONTROLLED_ACCESS_GRANTS]
    assert len(passport.rejected) == 1 and passport.rejected[0].startswith("visa 0:")
    assert not passport.has_researcher_status()


def test_alg_none_visa_is_rejected_without_being_trusted(issuer, verifier):
    claims = {
        "iss": issuer.issuer,
        "sub": "researcher@example.org",
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "ga4gh_visa_v1": {"type": RESEARCHER_STATUS, "asserted": 1, "value": "x", "source": "s"},
    }
    passport = verifier.verify_passport(issuer.passport(unsigned(claims, issuer.jwks_url)))
    assert passport.visas == ()
    assert "alg 'none' not accepted" in passport.rejected[0]


def test_hmac_signed_with_the_public_key_is_rejected(issuer, verifier):
    """The classic key-confusion attack: HS256 keyed with the issuer's public JWK."""
    token = jwt.encode(
        {"iss": issuer.issuer, "sub": "s", "iat": int(time.time()), "exp": int(time.time()) + 60},
        "public-key-material-as-secret-0123456789",
        algorithm="HS256",
        headers={"jku": issuer.jwks_url, "kid": issuer.kid},
    )
    with pytest.raises(PassportError, match="alg 'HS256' not accepted"):
        verifier.verify_visa(token)


def test_a_visa_with_conditions_is_not_used(issuer, verifier):
    now = int(time.time())
    token = issuer.sign(
        {
            "iss": issuer.issuer,
            "sub": "s",
            "iat": now,
            "exp": now + 60,
            "ga4gh_visa_v1": {
                "type": CONTROLLED_ACCESS_GRANTS,
                "asserted": now,
                "value": "node-a",
                "source": "s",
                "conditions": [[{"type": "AffiliationAndRole", "value": "const:x"}]],
            },
        }
    )
    with pytest.raises(PassportError, match="conditions"):
        verifier.verify_visa(token)


def test_a_passport_from_an_untrusted_broker_rejects_everything(issuer, stranger, verifier):
    passport = verifier.verify_passport(stranger.passport(issuer.visa(RESEARCHER_STATUS, "x")))
    assert passport.subject is None and passport.visas == ()
    assert passport.rejected[0].startswith("passport:")


def test_garbage_and_header_forms():
    verifier = PassportVerifier([])
    assert verifier.verify_passport("not.a.jwt").subject is None
    assert bearer_token(None) is None
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    with pytest.raises(PassportError, match="Bearer"):
        bearer_token("Basic dXNlcjpwYXNz")


def test_trusted_issuer_entries_are_checked(tmp_path):
    with pytest.raises(VarnodeError, match="needs 'issuer' and 'jwks_url'"):
        load_trusted_issuers([{"issuer": "https://login.example.org"}])
    listing = tmp_path / "issuers.yaml"
    listing.write_text("- {issuer: 'https://a', jwks_url: 'https://a/jwks'}\n")
    assert load_trusted_issuers(listing)[0].jwks_url == "https://a/jwks"


def test_a_rotated_key_is_fetched_from_the_jwks_again():
    rotating = Issuer("rotating")
    try:
        verifier = PassportVerifier(
            load_trusted_issuers([rotating.trusted()]), jwks=JwksCache(refetch_after=0)
        )
        assert verifier.verify_visa(rotating.visa(RESEARCHER_STATUS, "x")).issuer
        rotating.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rotating.kid = "rotating-key-2"
        assert verifier.verify_visa(rotating.visa(RESEARCHER_STATUS, "x")).issuer
        throttled = PassportVerifier(load_trusted_issuers([rotating.trusted()]))
        throttled.verify_visa(rotating.visa(RESEARCHER_STATUS, "x"))
        rotating.kid = "rotating-key-3"
        with pytest.raises(PassportError, match="no trusted issuer holds key"):
            throttled.verify_visa(rotating.visa(RESEARCHER_STATUS, "x"))
    finally:
        rotating.close()
