"""The pytest plugin that provides the ``fake_llm`` fixture. Enable it in a conftest.py::

    pytest_plugins = ["tkach_sync.testing.pytest_plugin"]

or import the fixture there: ``from tkach_sync.testing import fake_llm  # noqa: F401``.
"""

from ._pytest import fake_llm as fake_llm

__all__ = ["fake_llm"]
