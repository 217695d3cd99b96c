"""Entry point of the frozen app: `LowlightStudio` opens the window, `LowlightStudio cli ...`
runs the command line (the same binary, so the bundle needs no second executable)."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if len(sys.argv) > 1 and sys.argv[1] == "cli":
        from app.cli import main as cli_main

        sys.exit(cli_main(sys.argv[2:]))
    from app.__main__ import main

    sys.exit(main())
