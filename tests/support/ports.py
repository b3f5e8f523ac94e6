"""A port on 127.0.0.1 that nothing listens on, for a server a test starts (Streamlit, nginx,
an SMTP or webhook receiver) or for a connection that must be refused."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the system just gave out and took back: free now (a test starting its server on
    it right away is not raced by another test, which would be given another)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
