"""The HTTP door: a thin FastAPI layer over the engine."""

from mmreward.service.app import create_app

__all__ = ["create_app"]
