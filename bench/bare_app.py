"""The ceiling for the ingest benchmark: a bare FastAPI app that reads the body and answers 202.

Served like `controlbot serve --workers 2` (`uvicorn.run` with a factory, same defaults), so the
gap between the two is what controlbot's own work costs.

    .venv/bin/python -m bench.bare_app --port 8001 --workers 2
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI, Request, Response


def create() -> FastAPI:
    """One POST route at the webhook's path and a health check, nothing else."""
    app = FastAPI(title="ceiling")

    @app.post("/webhooks/github")
    async def receive(request: Request) -> Response:
        """Read the whole body and accept it."""
        await request.body()
        return Response(status_code=202)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve the bare app with uvicorn the way `controlbot serve --workers N` does."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    host, port, workers = "127.0.0.1", args.port, args.workers
    uvicorn.run("bench.bare_app:create", factory=True, host=host, port=port, workers=workers)


if __name__ == "__main__":
    main()
