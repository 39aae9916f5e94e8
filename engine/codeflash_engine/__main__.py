from codeflash_engine.cli import main

main()
