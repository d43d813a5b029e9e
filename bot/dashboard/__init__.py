"""The web dashboard: portfolio, release, control and audit pages with inline SVG charts."""

from bot.dashboard.routes import router

__all__ = ["router"]
