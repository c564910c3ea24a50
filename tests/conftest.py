from tkach_sync.testing import fake_llm  # noqa: F401
