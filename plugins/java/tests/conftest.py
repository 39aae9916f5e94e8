"""The plugin kit's conformance suite runs against this plugin."""

from codeflash_engine.testing.plugin_kit.reference import JAVA as codeflash_engine_conformance  # noqa: F401
