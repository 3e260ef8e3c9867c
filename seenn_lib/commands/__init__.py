"""What each `python -m seenn_lib` subcommand does, one module per group of subcommands; seenn_lib.cli parses the
command line and imports only the module of the chosen subcommand (so `--help` and `data` do not load torch's
benchmarks, matplotlib or the training stack)."""
