"""API key material: generation, digest, display suffix and the accepted format.

A key is ``cf-`` followed by 32 random bytes in URL-safe base64 (43 characters). Only its
SHA-384 hex digest is stored; an unsalted fast hash is enough for keys with 256 bits of entropy
(nobody can guess a preimage), and it keeps the lookup a single indexed equality.
"""

from __future__ import annotations

import hashlib
import re
import secrets

KEY_PREFIX = "cf-"
KEY_RANDOM_BYTES = 32
SUFFIX_LENGTH = 6
#: keys the engine accepts: the prefix the CLI insists on, then 16 to 256 URL-safe characters
KEY_PATTERN = re.compile(r"cf-[A-Za-z0-9_-]{16,256}")


def generate_key() -> str:
    """A new random key (the only time it exists in clear)."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-384 of its UTF-8 bytes, 96 lowercase hex digits."""
    return hashlib.sha384(key.encode()).hexdigest()


def key_suffix(key: str) -> str:
    """The last characters of a key, enough to tell keys apart in a listing."""
    return key[-SUFFIX_LENGTH:]


def is_well_formed(key: str) -> bool:
    """Whether ``key`` has the shape of a key this engine could have issued or been given."""
    return KEY_PATTERN.fullmatch(key) is not None


def is_key_hash(value: str) -> bool:
    """Whether ``value`` looks like a stored digest (96 lowercase hex digits)."""
    return len(value) == 96 and all(c in "0123456789abcdef" for c in value)
