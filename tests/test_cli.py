"""The command line: --log-level before or after the command."""

import pytest

from bridge.cli import _parser


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        (["serve", "--config", "c.yaml"], "INFO"),
        (["--log-level", "WARNING", "serve", "--config", "c.yaml"], "WARNING"),
        (["serve", "--config", "c.yaml", "--log-level", "DEBUG"], "DEBUG"),
        (["--log-level", "ERROR", "check", "--config", "c.yaml"], "ERROR"),
    ],
)
def test_the_log_level_is_read_on_either_side_of_the_command(
    argv: list[str], level: str
) -> None:
    """Given after the command it wins; given before, the command keeps it."""
    assert _parser().parse_args(argv).log_level == level


def test_an_unknown_log_level_is_refused() -> None:
    """argparse names the choices and exits 2."""
    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args(["serve", "--config", "c.yaml", "--log-level", "LOUD"])

    assert stopped.value.code == 2
