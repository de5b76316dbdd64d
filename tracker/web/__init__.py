"""The coordinators' desk: a small Starlette application (`grants web`)."""

from tracker.web.app import WebConfigError, create_app

__all__ = ["WebConfigError", "create_app"]
