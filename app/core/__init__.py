"""Headless enhancement engine. Never imports Qt.

Public API: :class:`Enhancer`, :class:`EnhanceResult`, :class:`EnhanceSettings`, and the image
I/O helpers in :mod:`app.core.imageio`.
"""
from app.core.enhancer import Enhancer, EnhanceResult
from app.core.settings import EnhanceSettings

__all__ = ["Enhancer", "EnhanceResult", "EnhanceSettings"]
