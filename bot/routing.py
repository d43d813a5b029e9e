"""A webhook router: handlers register for an event and optionally one action (gidgethub-style)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

H = TypeVar("H", bound=Callable[..., Any])


class Router:
    """Maps (event, action) to a handler; a handler for (event, None) takes every action."""

    def __init__(self, *others: Router) -> None:
        self._routes: dict[tuple[str, str | None], Callable[..., Any]] = {}
        for other in others:
            for route, handler in other._routes.items():
                self._add(route, handler)

    def register(self, event: str, action: str | None = None) -> Callable[[H], H]:
        """Decorator: route this event (and action, if given) to the function."""

        def decorate(handler: H) -> H:
            self._add((event, action), handler)
            return handler

        return decorate

    def handler_for(self, event: str, action: str | None) -> Callable[..., Any] | None:
        """The handler for this action of the event, else the event's catch-all, else None."""
        return self._routes.get((event, action)) or self._routes.get((event, None))

    def routes(self) -> frozenset[tuple[str, str | None]]:
        """Every registered (event, action) pair."""
        return frozenset(self._routes)

    def events(self) -> frozenset[str]:
        """Every event name with at least one handler."""
        return frozenset(event for event, _ in self._routes)

    def _add(self, route: tuple[str, str | None], handler: Callable[..., Any]) -> None:
        if route in self._routes:
            raise ValueError(f"two handlers for {route}")
        self._routes[route] = handler
