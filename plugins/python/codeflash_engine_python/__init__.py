"""Python language plugin for codeflash-engine."""
