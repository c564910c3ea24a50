"""The built-in tools."""

from .sub_agent import SubAgent as SubAgent

__all__ = ["SubAgent"]
