"""Root conftest: the engine's shared fixtures for every test folder (engine and plugins)."""

pytest_plugins = [
    "codeflash_engine.testing.fixtures",
    "codeflash_engine.testing.llm_fixtures",
    "codeflash_engine.testing.engine",
]
