"""Go language plugin for codeflash-engine (entry point ``go``, see ``plugin``)."""
