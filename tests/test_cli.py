"""The command line: start-up imports only what the chosen subcommand needs, every subcommand names a handler
that exists, and the dataset names it lists are the registry's."""
import importlib
import subprocess
import sys

import pytest

from seenn_lib.cli import DATASETS, build_parser

ARGV = {"data": ["data", "fashion-mnist"], "train": ["train"], "evaluate": ["evaluate"],
        "train-seenn2": ["train-seenn2", "--beta", "1"], "reproduce": ["reproduce"],
        "reproduce --dry-run": ["reproduce", "--dry-run"], "explorer": ["explorer"],
        "bench inference": ["bench", "inference"], "bench neurons": ["bench", "neurons"],
        "bench layout": ["bench", "layout"], "gpu-check": ["gpu-check"]}


def in_fresh_interpreter(code: str) -> str:
    """What `code` prints, run in a new Python process (so that nothing this test process imported counts)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_dataset_names_are_the_registry_s():
    """In a fresh interpreter: other tests register datasets of their own in this one."""
    registered = in_fresh_interpreter("from seenn_lib.data import list_datasets; print(' '.join(list_datasets()))")
    assert sorted(DATASETS) == sorted(registered.split())


@pytest.mark.parametrize("command", sorted(ARGV))
def test_every_subcommand_names_a_handler_that_exists(command):
    module, function = build_parser().parse_args(ARGV[command]).handler.split(":")
    assert callable(getattr(importlib.import_module(f"seenn_lib.commands.{module}"), function))


def test_help_loads_neither_torch_nor_matplotlib():
    assert in_fresh_interpreter(
        "import sys, contextlib, io\nfrom seenn_lib.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main(['--help'])\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'seaborn', 'pandas') if m in sys.modules))") == "[]"


def test_only_a_dry_run_loads_the_dry_run():
    parse = build_parser().parse_args
    assert parse(["reproduce"]).handler == "suite:reproduce"
    assert parse(["reproduce", "--dry-run"]).handler == "dry_run:reproduce"
    assert in_fresh_interpreter("import sys\nimport seenn_lib.commands.suite\n"
                                "print(sorted(m for m in ('torch', 'seenn_lib.dry_run') if m in sys.modules))") == "[]"


def test_the_data_command_does_not_load_the_benchmarks_or_plots():
    assert in_fresh_interpreter(
        "import sys\nimport seenn_lib.commands.data\n"
        "print(sorted(m for m in sys.modules if m.startswith(('seenn_lib.bench', 'seenn_lib.plots', "
        "'seenn_lib.train', 'matplotlib'))))") == "[]"
