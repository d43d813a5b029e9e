"""Webhook signature verification and the router (pure)."""

from __future__ import annotations

import pytest

from bot.routing import Router
from bot.security import SignatureError, sign, verify_signature

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"


def test_githubs_official_test_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(BODY, SECRET) == expected
    verify_signature(BODY, expected, SECRET)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing signature"),
        ("", "missing signature"),
        ("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "sha256=<hex>"),
        ("sha256=" + "0" * 64, "does not match"),
        (
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
            "does not match",
        ),
    ],
)
def test_bad_signatures_are_refused(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_signature(BODY, header, SECRET)


def test_a_changed_body_or_secret_fails() -> None:
    header = sign(BODY, SECRET)
    with pytest.raises(SignatureError):
        verify_signature(BODY + b" ", header, SECRET)
    with pytest.raises(SignatureError):
        verify_signature(BODY, header, SECRET + "x")


def test_router_prefers_the_action_then_the_catch_all() -> None:
    router = Router()

    @router.register("issues", "closed")
    def closed() -> str:
        return "closed"

    @router.register("issues")
    def anything() -> str:
        return "any"

    assert router.handler_for("issues", "closed") is closed
    assert router.handler_for("issues", "opened") is anything
    assert router.handler_for("release", "published") is None
    assert router.events() == {"issues"}


def test_routers_compose_and_refuse_double_registration() -> None:
    first, second = Router(), Router()
    first.register("ping")(lambda: None)
    second.register("issues", "closed")(lambda: None)
    combined = Router(first, second)
    assert combined.routes() == {("ping", None), ("issues", "closed")}
    with pytest.raises(ValueError, match="two handlers"):
        Router(first, first)
