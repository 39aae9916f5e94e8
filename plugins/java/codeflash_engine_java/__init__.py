"""Java language plugin for codeflash-engine."""
