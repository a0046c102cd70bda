"""The errors of a patron's lists."""

from libnet.errors import LibnetError


class ListError(LibnetError):
    """A change to a list that cannot be made: too many entries, a note too long, ..."""
