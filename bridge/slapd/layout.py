"""Where one private slapd keeps its files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    """Where one slapd keeps its files; see :meth:`inside`."""

    root: Path
    """Working directory, private to one slapd."""

    config_dir: Path
    """The slapd.d tree that ``slapd -F`` reads."""

    db_dir: Path
    """The mdb database directory."""

    pid_file: Path
    """The file slapd writes its process id to."""

    args_file: Path
    """The file slapd writes its command line to."""

    log_file: Path
    """Where the launcher sends slapd's stderr."""

    @classmethod
    def inside(cls, root: Path) -> Layout:
        """Return the standard layout, every file directly under ``root``."""
        return cls(
            root=root,
            config_dir=root / "slapd.d",
            db_dir=root / "db",
            pid_file=root / "slapd.pid",
            args_file=root / "slapd.args",
            log_file=root / "slapd.log",
        )
