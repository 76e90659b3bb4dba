"""The emulator process: moto's server with our extensions and the runtime, on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from localcloud.settings import LocalCloudSettings

CONTROL_PREFIX = "/_localcloud/"


def control_app(runtime: Any, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Serve ``/_localcloud/health`` and ``/_localcloud/fire-rule/<name>`` beside the AWS APIs."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return app(environ, start_response)
        command = path[len(CONTROL_PREFIX) :].split("/")
        status = "200 OK"
        body: dict[str, Any] = {"ok": True}
        try:
            if command[0] == "health":
                body = {"ok": True, "pid": os.getpid()}
            elif command[0] == "fire-rule" and len(command) == 2:
                body = {"ok": True, "targets": runtime.fire_rule(command[1])}
            else:
                status, body = "404 Not Found", {"ok": False, "error": f"unknown command {path}"}
        except Exception as exc:
            status, body = "400 Bad Request", {"ok": False, "error": str(exc)}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return wsgi


def serve(settings: LocalCloudSettings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ["MOTO_PORT"] = str(settings.port)  # moto's Step Functions tasks call back into us
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
    settings.state_dir.mkdir(parents=True, exist_ok=True)

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from localcloud import extensions
    from localcloud.runtime import Runtime

    runtime = Runtime(settings)
    extensions.install(runtime)
    runtime.start()
    app = control_app(runtime, DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", settings.port, app, threaded=True, request_handler=MotoRequestHandler)

    def shutdown(signum: int, frame: Any) -> None:
        logging.getLogger("localcloud").info("stopping (signal %s)", signum)
        runtime.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    logging.getLogger("localcloud").info("local cloud serving on %s", settings.endpoint)
    server.serve_forever()
    sys.exit(0)
