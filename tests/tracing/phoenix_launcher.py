"""Start Arize Phoenix with every listening socket on loopback (run by Phoenix's own venv).

Phoenix binds its web server to PHOENIX_HOST, but its OTLP gRPC server always to `[::]`
(all interfaces). This launcher, run with the Phoenix venv's Python, rewrites that one
address to 127.0.0.1 before Phoenix starts, so the test exposes nothing beyond loopback.
"""

from __future__ import annotations

import sys
from typing import Any

import grpc.aio  # type: ignore[import-not-found]

_make_server = grpc.aio.server


def _loopback_server(*args: Any, **kwargs: Any) -> Any:
    server = _make_server(*args, **kwargs)
    add_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_port(address.replace("[::]", "127.0.0.1"))
    return server


grpc.aio.server = _loopback_server

if __name__ == "__main__":
    from phoenix.server.main import main  # type: ignore[import-not-found]

    sys.argv = ["phoenix", *sys.argv[1:]]
    sys.exit(main())
