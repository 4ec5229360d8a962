"""Reading mapping files, with errors that name the file and the key."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .model import Mapping

__all__ = [
    "PROFILES",
    "load_mapping",
    "profile_path",
    "read_yaml",
    "validation_to_config_error",
]


def _shipped() -> Path:
    """The folder of the shipped profiles: ``mappings/`` in a checkout,
    the ``bridge.mappings`` package data once installed."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent / "mappings"
    if (checkout / "inetorgperson.yaml").exists():
        return checkout
    return package / "mappings"


PROFILES = {"inetorgperson": "inetorgperson.yaml", "records": "records.yaml"}
"""The profiles the repository ships, by the short name config files use."""


def profile_path(name_or_path: str) -> Path:
    """Resolve a shipped profile name, or return the path as given."""
    if name_or_path in PROFILES:
        return _shipped() / PROFILES[name_or_path]
    return Path(name_or_path)


def validation_to_config_error(source: str, error: ValidationError) -> ConfigError:
    """The first pydantic error, as a ConfigError naming its key."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return ConfigError(source, key, first["msg"])


def read_yaml(path: Path) -> Any:
    """A YAML file's data; errors name the file (and the line, for syntax)."""
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except OSError as exc:
        raise ConfigError(str(path), "(file)", exc.strerror or str(exc)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "(syntax)", str(exc)) from exc


def load_mapping(name_or_path: str) -> Mapping:
    """Load and validate a mapping profile or file."""
    path = profile_path(name_or_path)
    if not path.exists() and not name_or_path.endswith((".yaml", ".yml")):
        raise ConfigError(
            "mapping",
            name_or_path,
            f"no such profile; shipped profiles: {', '.join(PROFILES)}, or give a YAML file path",
        )
    data = read_yaml(path)
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise validation_to_config_error(str(path), exc) from exc
