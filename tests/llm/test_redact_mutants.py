"""The redactor's edges (infra/llm/redact.py): which secrets it knows (at least 4 characters; the
settings' secrets, comma-separated lists key by key), which fragments of a long one it scrubs
(from 20 characters: exactly the first 8 and the last 6), and that a whole key is replaced as one
piece, never as its fragments with the middle left over (what the mutation run of redact.py found
untested)."""

from __future__ import annotations

import pytest

from codeflash_engine.infra.llm.redact import REDACTED, Redactor, settings_secrets
from codeflash_engine.settings import Settings

#: 20 characters, none of the key-shaped patterns (no ``sk-`` prefix, no ``***``, no ``key=``)
KEY20 = "Zq3Xv9Lm2Pw7Rt5Yn8Kd"
#: 19 characters, the same way
KEY19 = "Gh4Jk6Lq8Wr2Ty5Ui7O"


def test_a_whole_key_is_replaced_as_one_piece() -> None:
    # fragments tried before the whole key would leave its middle between two markers
    assert Redactor([KEY20])(f"key {KEY20} end") == f"key {REDACTED} end"


def test_exactly_the_first_eight_and_last_six_characters_are_scrubbed() -> None:
    redact = Redactor([KEY20])
    assert redact(f"starts {KEY20[:8]}! ends !{KEY20[-6:]}") == f"starts {REDACTED}! ends !{REDACTED}"
    # one character fewer is not a fragment the redactor knows
    assert redact(f"starts {KEY20[:7]}! ends !{KEY20[-5:]}") == f"starts {KEY20[:7]}! ends !{KEY20[-5:]}"


def test_a_twenty_character_key_has_its_fragments_scrubbed() -> None:
    assert Redactor([KEY20])(f"echoed {KEY20[:8]}.") == f"echoed {REDACTED}."
    assert Redactor([KEY20])(f"echoed .{KEY20[-6:]}") == f"echoed .{REDACTED}"


def test_a_shorter_key_is_scrubbed_whole_but_not_by_fragments() -> None:
    # the few characters of a short secret's ends are too common to scrub wherever they appear
    redact = Redactor([KEY19])
    assert redact(f"a {KEY19} b") == f"a {REDACTED} b"
    assert redact(f"a {KEY19[:8]} {KEY19[-6:]} b") == f"a {KEY19[:8]} {KEY19[-6:]} b"


def test_secrets_of_four_characters_count_and_shorter_ones_do_not() -> None:
    assert Redactor(["Q7zK"])("pin Q7zK here") == f"pin {REDACTED} here"
    # a three-character "secret" would garble every word containing it
    assert Redactor(["abc", ""])("abc abcdef") == "abc abcdef"
    assert Redactor(["", "Q7zK"])("Q7zK") == REDACTED


def test_the_settings_secrets_are_listed_whole_and_key_by_key() -> None:
    settings = Settings(
        openai_api_key="Zq3Xv9Lm2Pw7Rt5Yn8Kd",
        codeflash_engine_api_keys="first-key-aaaa, second-key-bbbb",
        secret_key="",
    )
    secrets = settings_secrets(settings)
    assert "Zq3Xv9Lm2Pw7Rt5Yn8Kd" in secrets
    assert "first-key-aaaa, second-key-bbbb" in secrets
    assert "first-key-aaaa" in secrets
    assert "second-key-bbbb" in secrets
    assert "" not in secrets
    # a non-secret setting is not a secret
    assert all(isinstance(s, str) and s for s in secrets)


@pytest.mark.parametrize("extra", [(), ("Mn1Bv2Cx3Zl",)])
def test_a_redactor_from_settings_scrubs_each_listed_key_and_the_extra_ones(extra: tuple[str, ...]) -> None:
    settings = Settings(codeflash_engine_api_keys="first-key-aaaa,second-key-bbbb", openai_api_key=KEY20)
    redact = Redactor.from_settings(settings, extra=extra)
    text = f"got second-key-bbbb then {KEY20} then first-key-aaaa " + " ".join(extra)
    expected = f"got {REDACTED} then {REDACTED} then {REDACTED} " + " ".join(REDACTED for _ in extra)
    assert redact(text) == expected


def test_a_url_secret_is_scrubbed_whole_and_by_its_password_not_by_its_ends() -> None:
    """The database URL's first characters are its scheme (``postgres``), its last the database's
    name: words a message may hold. Its password, anywhere, is the secret."""
    url = "postgresql://engine:Vb7Qm2Xr9Lp4@db.internal:5432/engine_db"
    redact = Redactor([url])
    assert redact(f"dsn {url} end") == f"dsn {REDACTED} end"
    assert redact("auth failed for password Vb7Qm2Xr9Lp4.") == f"auth failed for password {REDACTED}."
    assert redact("postgres said 5432/engine_db is down") == "postgres said 5432/engine_db is down"
    # a URL without a password (or with a short one) is scrubbed whole only
    assert Redactor(["postgresql://engine@db:5432/engine_db"])("postgres on db") == "postgres on db"
    assert Redactor(["postgresql://u:ab@db:5432/engine_db"])("ab postgres") == "ab postgres"
