"""The errors of a patron's lists."""

from libnet.errors import LibnetError


class ListError(LibnetError):
    """A change to a list that cannot be made: too many entries, a note too long, ..."""


class ListFull(ListError):
    """The list (or the saved searches) has as many entries as a patron may keep."""


class UnknownTitle(ListError):
    """The cluster a patron wanted to keep is not in the store."""
