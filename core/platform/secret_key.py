"""The server's secret: PORTAL_SECRET_KEY, or else a random key made once for this installation
and kept in data/secret.key. It signs the download links (`core.exports.links`) and keys the
digests of erased sign-ins (`core.identity.auth`), so every app server that shares the variable
accepts the others' links and recognises the same erased addresses.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile

from core.platform.config import ROOT

SECRET_ENV = "PORTAL_SECRET_KEY"
SECRET_FILE = ROOT / "data" / "secret.key"


def secret_key() -> bytes:
    """PORTAL_SECRET_KEY, or else a random key made once for this installation and kept in
    data/secret.key (readable by its owner only). Several app servers share the variable."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured.encode()
    try:
        key = SECRET_FILE.read_bytes().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    # Written whole under a temporary name, then linked into place: a process starting at the
    # same moment either makes the link first or reads the other's complete key.
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=SECRET_FILE.parent, prefix=".secret-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
        with contextlib.suppress(FileExistsError):
            os.link(draft, SECRET_FILE)
    finally:
        os.unlink(draft)
    return SECRET_FILE.read_bytes().strip()
