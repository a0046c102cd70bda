"""Each library's patron checker, made once from its [libraries.patrons] and kept."""

from __future__ import annotations

import threading

from libnet.accounts.ldap_patrons import LdapPatrons
from libnet.accounts.patron_systems import PatronChecker
from libnet.accounts.sip2_patrons import Sip2Patrons
from libnet.config import Config


class Checkers:
    """library code -> the checker of its own patron system, or None for libnet's accounts.

    A checker may keep connections open (SIP2), so there is one per library per process.
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._made: dict[str, PatronChecker | None] = {}
        self._lock = threading.Lock()

    def __call__(self, library: str) -> PatronChecker | None:
        with self._lock:
            if library not in self._made:
                self._made[library] = _checker(self._config, library)
            return self._made[library]


def _checker(config: Config, library: str) -> PatronChecker | None:
    patrons = config.library(library).patrons
    if patrons.type == "ldap":
        return LdapPatrons(patrons)
    if patrons.type == "sip2":
        return Sip2Patrons(patrons)
    return None
