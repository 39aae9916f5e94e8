"""The published Codeflash CLI's interpreter, for the tests that use the client as an oracle.

``./scripts/test`` (the README's test command, which CI runs) installs the CLI in ``.venv-cli``
and exports ``CODEFLASH_CLI_PYTHON`` and ``CODEFLASH_ENGINE_FULL_SUITE=1``. Under it (or with
``CI=true``) a missing interpreter fails the test: an oracle that skips passes on nothing. A
plain ``pytest`` without the CLI skips those tests, saying how to get them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: set by ./scripts/test: every test that needs the CLI must run
FULL_SUITE = "CODEFLASH_ENGINE_FULL_SUITE"


def full_suite() -> bool:
    """Whether this is the README's test command (or CI), where nothing may be skipped for a missing CLI."""
    return os.environ.get(FULL_SUITE) == "1" or os.environ.get("CI", "").lower() == "true"


def cli_python(default: Path | None = None) -> Path:
    """``CODEFLASH_CLI_PYTHON`` (else ``default``) when it exists; otherwise skip the test, or
    fail it under the full suite."""
    value = os.environ.get("CODEFLASH_CLI_PYTHON")
    path = Path(value) if value else default
    if path is not None and path.exists():
        return path
    where = f"{path} does not exist" if path is not None else "CODEFLASH_CLI_PYTHON is not set"
    why = f"the Codeflash CLI's interpreter is missing ({where}); ./scripts/test installs it in .venv-cli"
    if full_suite():
        pytest.fail(f"{why} (required: {FULL_SUITE}=1 or CI=true)", pytrace=False)
    pytest.skip(why)
