"""API key material (infra/db/apikeys.py) pinned exactly: a new key's shape and randomness, its
SHA-384 digest, its six-character display suffix, the accepted key format at its length bounds, and
what counts as a stored digest (what the mutation run of apikeys.py found untested)."""

from __future__ import annotations

import hashlib

import pytest

from codeflash_engine.infra.db import apikeys


def test_a_generated_key_is_the_prefix_and_43_url_safe_characters() -> None:
    made = {apikeys.generate_key() for _ in range(20)}
    assert len(made) == 20
    for key in made:
        assert key.startswith("cf-") and len(key) == 3 + 43
        assert apikeys.is_well_formed(key)


def test_hash_key_is_sha384_hex() -> None:
    assert apikeys.hash_key("cf-abc") == hashlib.sha384(b"cf-abc").hexdigest()
    assert apikeys.is_key_hash(apikeys.hash_key("cf-é"))


def test_key_suffix_is_the_last_six_characters() -> None:
    assert apikeys.key_suffix("cf-0123456789") == "456789"
    assert apikeys.key_suffix("abc") == "abc"


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("cf-" + "a" * 16, True),
        ("cf-" + "a" * 15, False),
        ("cf-" + "A_-9" * 64, True),  # 256 characters
        ("cf-" + "a" * 257, False),
        ("cf-" + "a" * 20 + "=", False),
        ("cf-" + "a" * 20 + "\n", False),
        ("xcf-" + "a" * 20, False),
        ("CF-" + "a" * 20, False),
        ("", False),
    ],
)
def test_is_well_formed(key: str, ok: bool) -> None:
    assert apikeys.is_well_formed(key) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0123456789abcdef" * 6, True),
        ("a" * 95, False),
        ("a" * 97, False),
        ("A" * 96, False),
        ("g" * 96, False),
        ("0" * 95 + " ", False),
    ],
)
def test_is_key_hash(value: str, ok: bool) -> None:
    assert apikeys.is_key_hash(value) is ok
