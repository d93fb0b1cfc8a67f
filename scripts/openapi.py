"""Write the HTTP API's OpenAPI document to docs/openapi.json (a test keeps it equal to the served one)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def document() -> dict:
    from fastapi.openapi.utils import get_openapi

    from pathway import __version__
    from pathway.web import api

    from fastapi import FastAPI

    app = FastAPI(title="pathway", version=__version__,
                  description="Participant pathways: the JSON API (same contracts as the CLI's `--format json`).")
    app.include_router(api.router)
    return get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)


if __name__ == "__main__":
    target = ROOT / "docs" / "openapi.json"
    target.write_text(json.dumps(document(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {target.relative_to(ROOT)}\n")
