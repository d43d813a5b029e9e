"""The REST API: releases, tasks, exports; each route needs a token and sees only its workspaces."""

from __future__ import annotations

from fastapi import APIRouter

from bot.api import exports, releases, tasks

router = APIRouter()
router.include_router(releases.router)
router.include_router(tasks.router)
router.include_router(exports.router)
