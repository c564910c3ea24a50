import pytest

from tkach_sync.errors import ToolError
from tkach_sync.tools.edit import Edit

edit = Edit()


def run(ctx, old, new, replace_all=False, file_path="f.txt"):
    input = {"file_path": file_path, "old_string": old, "new_string": new}
    return edit.execute({**input, "replace_all": replace_all}, ctx)


def test_a_unique_match_is_replaced_and_counted(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("def foo():\n    return 1\n")
    out = run(ctx, "return 1", "return 2")
    assert not out.is_error
    assert "1 replacement" in out.content
    assert (tmp_path / "f.txt").read_text() == "def foo():\n    return 2\n"


def test_crlf_and_other_bytes_survive_an_edit(ctx, tmp_path):
    original = "\ufeffline one\r\nline two\r\nlone\rcr\r\n"
    (tmp_path / "f.txt").write_bytes(original.encode())
    run(ctx, "two", "2")
    assert (tmp_path / "f.txt").read_bytes() == original.replace("two", "2").encode()


def test_old_string_may_span_crlf_lines(ctx, tmp_path):
    (tmp_path / "f.txt").write_bytes(b"a\r\nb\r\nc\r\n")
    out = run(ctx, "a\r\nb", "ab")
    assert not out.is_error
    assert (tmp_path / "f.txt").read_bytes() == b"ab\r\nc\r\n"


def test_a_missing_string_is_an_error_and_the_file_is_untouched(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("hello\n")
    out = run(ctx, "goodbye", "x")
    assert out.is_error
    assert "not found" in out.content
    assert "whitespace" not in out.content
    assert (tmp_path / "f.txt").read_text() == "hello\n"


def test_a_whitespace_only_difference_gets_a_hint(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("if x:\n\treturn 1\n")
    out = run(ctx, "if x:\n    return 1", "if x:\n    return 2")
    assert out.is_error
    assert "not found" in out.content and "whitespace" in out.content


def test_several_matches_need_replace_all(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("a = 1\nb = 1\nc = 1\n")
    out = run(ctx, "= 1", "= 2")
    assert out.is_error
    assert "3 times" in out.content and "replace_all" in out.content
    assert (tmp_path / "f.txt").read_text() == "a = 1\nb = 1\nc = 1\n"


def test_replace_all_replaces_every_match_and_says_how_many(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("a = 1\nb = 1\nc = 1\n")
    out = run(ctx, "= 1", "= 2", replace_all=True)
    assert not out.is_error
    assert "3 replacements" in out.content
    assert (tmp_path / "f.txt").read_text() == "a = 2\nb = 2\nc = 2\n"


def test_identical_strings_are_an_error(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("same\n")
    out = run(ctx, "same", "same")
    assert out.is_error and "same" in out.content


def test_an_empty_old_string_is_an_error(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("x\n")
    out = run(ctx, "", "y")
    assert out.is_error and "empty" in out.content
    assert (tmp_path / "f.txt").read_text() == "x\n"


def test_a_missing_file_is_an_error_pointing_at_write(ctx):
    with pytest.raises(ToolError, match=r"not found.*write"):
        run(ctx, "a", "b", file_path="missing.txt")


def test_binary_and_non_utf8_files_are_refused_and_left_alone(ctx, tmp_path):
    (tmp_path / "b.bin").write_bytes(b"a\x00b")
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 a")
    with pytest.raises(ToolError, match="binary"):
        run(ctx, "a", "b", file_path="b.bin")
    with pytest.raises(ToolError, match="UTF-8"):
        run(ctx, "a", "b", file_path="latin.txt")
    assert (tmp_path / "latin.txt").read_bytes() == b"caf\xe9 a"
