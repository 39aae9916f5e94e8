"""JavaScript and TypeScript language plugin for codeflash-engine."""
