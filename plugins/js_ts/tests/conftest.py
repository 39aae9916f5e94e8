"""The plugin kit's conformance suite runs against this plugin."""

from codeflash_engine.testing.plugin_kit.reference import JS_TS as codeflash_engine_conformance  # noqa: F401
