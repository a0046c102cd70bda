"""Exceptions of the harvesters."""

from libnet.errors import LibnetError


class SourceError(LibnetError):
    """A library's source cannot be read at all: that library fails, the others go on."""
