"""Headless enhancement engine. Never imports Qt.

Public API: :class:`Enhancer`, :class:`EnhanceResult`, :class:`EnhanceSettings`, and the image
I/O helpers in :mod:`app.core.imageio`.
"""
from app.core.settings import EnhanceSettings
from app.core.enhancer import Enhancer, EnhanceResult

__all__ = ["Enhancer", "EnhanceResult", "EnhanceSettings"]
