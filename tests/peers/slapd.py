"""OpenLDAP's slapd as a library's patron directory on 127.0.0.1, and two broken servers.

slapd runs from a temporary slapd.conf (mdb backend) on a free port, is loaded with ldapadd,
and is stopped by the pid in its pidfile. It runs as whoever runs the tests, root included:
it drops no privileges unless told to (-u). Besides: `silent_server()` accepts connections
and never answers, `down_url()` is a port nobody listens on.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.peers import missing_peer
from tests.peers.postgres import free_port

SLAPD = Path("/usr/sbin/slapd")
SUFFIX = "dc=marl,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = f"cn=libnet,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret-7"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_ENTRY = f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: marl
o: Stadtbibliothek Marl

"""
START_WITHIN = 10.0  # seconds; slapd usually answers within 0.1 s

# The library's rules, as a careful directory admin writes them: a PIN can only be used to
# bind, a patron reads their own entry, the service account reads everyone's, no one else
# reads anything. An anonymous *bind* still succeeds, as in every slapd.
ACCESS = f"""\
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by self read
    by dn.exact="{SERVICE_DN}" read
    by * none
"""


def require_slapd() -> None:
    """Skip when OpenLDAP is not installed, except in CI, which must run these tests."""
    missing = [str(SLAPD)] if not SLAPD.exists() else []
    missing += [tool for tool in ("ldapadd", "ldapwhoami", "openssl") if not shutil.which(tool)]
    if missing:
        missing_peer(f"{', '.join(missing)} missing: apt-get install slapd ldap-utils openssl")


class SlapdServer:
    """One slapd over one fresh mdb database; `url` once started."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="libnet-slapd-"))
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.pidfile = self.dir / "slapd.pid"
        self.ldaps_port = free_port()
        self.ldaps_url = f"ldaps://localhost:{self.ldaps_port}"
        self.ca: Path | None = None

    def start(self, ldif: str, *, tls: bool = False) -> str:
        """Serve the suffix with the entries of `ldif`. With `tls`, a certificate for
        `localhost` from a CA of its own (`ca`): StartTLS on `url`, and `ldaps_url`."""
        (self.dir / "db").mkdir()
        certificate = None
        if tls:
            (self.dir / "tls").mkdir()
            self.ca, *certificate = make_certificate(self.dir / "tls")
        conf = self.dir / "slapd.conf"
        conf.write_text(self._config(certificate), encoding="utf-8")
        urls = [f"ldap://127.0.0.1:{self.port}/"]
        if tls:
            urls.append(f"ldaps://127.0.0.1:{self.ldaps_port}/")
        # slapd forks and its parent returns once the listeners are open
        subprocess.run(
            [str(SLAPD), "-f", str(conf), "-h", " ".join(urls)],
            check=True,
            capture_output=True,
            timeout=START_WITHIN,
        )
        self._wait_until_answers()
        entries = self.dir / "entries.ldif"
        entries.write_text(ROOT_ENTRY + ldif, encoding="utf-8")
        added = subprocess.run(
            ["ldapadd", "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD,
             "-f", str(entries)],
            capture_output=True,
            text=True,
            timeout=START_WITHIN,
        )  # fmt: skip
        if added.returncode != 0:
            raise RuntimeError(f"ldapadd failed ({added.returncode}): {added.stderr}")
        return self.url

    def _config(self, tls: list[Path] | None) -> str:
        tls_lines = ""
        if tls:
            tls_lines = f"TLSCertificateFile {tls[0]}\nTLSCertificateKeyFile {tls[1]}\n"
        return (
            "include /etc/ldap/schema/core.schema\n"
            "include /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/inetorgperson.schema\n"
            "modulepath /usr/lib/ldap\n"
            "moduleload back_mdb\n"
            f"pidfile {self.pidfile}\n"
            f"{tls_lines}"
            # the classic hole, open as on many old servers: a DN with an empty password
            # binds, unauthenticated; the tests show that libnet never sends one
            "allow bind_anon_dn\n"
            "database mdb\n"
            "maxsize 10485760\n"
            f'suffix "{SUFFIX}"\n'
            f'rootdn "{ADMIN_DN}"\n'
            f"rootpw {ADMIN_PASSWORD}\n"
            f"directory {self.dir / 'db'}\n"
            f"{ACCESS}"
        )

    def _wait_until_answers(self) -> None:
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"slapd did not listen on port {self.port}: {self.dir}")

    def stop(self) -> None:
        try:
            if self.pidfile.exists():
                pid = int(self.pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
                _wait_for_exit(pid)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _wait_for_exit(pid: int) -> None:
    deadline = time.monotonic() + START_WITHIN
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for `localhost` signed by it: (ca, cert, key)."""
    ca_key, ca = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost\n", encoding="ascii")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        ["openssl", "req", "-x509", *new_key, "-days", "2", "-subj", "/CN=libnet test CA",
         "-keyout", ca_key, "-out", ca],
        ["openssl", "req", *new_key, "-subj", "/CN=localhost", "-keyout", key, "-out", csr],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert],
    ]  # fmt: skip
    for command in commands:
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    key.chmod(0o644)  # slapd reads it as whoever runs it
    return ca, cert, key


@contextmanager
def silent_server() -> Iterator[str]:
    """An ldap:// URL whose server accepts the connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)  # so the accepting thread sees `stopping`
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)  # held open, never read, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(timeout=2)
        listener.close()
        for connection in accepted:
            connection.close()


def down_url() -> str:
    """An ldap:// URL on a port nobody listens on."""
    return f"ldap://127.0.0.1:{free_port()}"
