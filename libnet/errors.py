"""Exceptions of the libnet core: configuration, records and the record store."""


class LibnetError(Exception):
    """Base of every error libnet raises on purpose."""


class ConfigError(LibnetError):
    """config.toml is missing, unreadable or has a wrong key, value or type."""


class RecordError(LibnetError):
    """One record cannot be used: it is reported and skipped, the harvest goes on."""


class StoreError(LibnetError):
    """The record store refused an operation (for example a suspicious mass delete)."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message; a driver's error without SQLAlchemy's dressing."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else ""
