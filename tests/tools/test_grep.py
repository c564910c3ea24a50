import pytest

from tkach_sync.errors import ToolCancelled
from tkach_sync.tools.grep import Grep

grep = Grep()


def run(ctx, pattern, path=None, glob=None, context=0, max_results=200):
    input = {"pattern": pattern, "path": path, "glob": glob}
    return grep.execute({**input, "context": context, "max_results": max_results}, ctx)


def put(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_matches_come_as_path_line_text(ctx, tmp_path):
    put(tmp_path / "a.py", "import os\nx = 1\nimport re\n")
    put(tmp_path / "src" / "b.py", "y = 2\nimport sys\n")
    out = run(ctx, r"^import \w+")
    assert not out.is_error
    assert out.content.split("\n") == [
        "a.py:1:import os",
        "a.py:3:import re",
        "src/b.py:2:import sys",
    ]


def test_context_lines_use_dashes_and_groups_are_separated(ctx, tmp_path):
    put(tmp_path / "a.txt", "".join(f"{n}\n" for n in ["m1", "b", "m2", "c", "d", "e", "m3", "f"]))
    put(tmp_path / "b.txt", "x\nm4\n")
    out = run(ctx, "^m", context=1)
    assert out.content.split("\n") == [
        "a.txt:1:m1",
        "a.txt-2-b",
        "a.txt:3:m2",
        "a.txt-4-c",
        "--",
        "a.txt-6-e",
        "a.txt:7:m3",
        "a.txt-8-f",
        "--",
        "b.txt-1-x",
        "b.txt:2:m4",
    ]


def test_glob_filters_by_base_name_or_relative_path(ctx, tmp_path):
    put(tmp_path / "a.py", "hit\n")
    put(tmp_path / "a.txt", "hit\n")
    put(tmp_path / "src" / "deep" / "c.py", "hit\n")
    assert run(ctx, "hit", glob="*.py").content.split("\n") == ["a.py:1:hit", "src/deep/c.py:1:hit"]
    assert run(ctx, "hit", glob="src/**/*.py").content == "src/deep/c.py:1:hit"


def test_binary_files_vcs_folders_and_node_modules_are_skipped(ctx, tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"hit\x00hit\n")
    put(tmp_path / ".git" / "HEAD", "hit\n")
    put(tmp_path / "node_modules" / "x.js", "hit\n")
    put(tmp_path / "keep.txt", "hit\n")
    assert run(ctx, "hit").content == "keep.txt:1:hit"


def test_a_single_file_can_be_searched(ctx, tmp_path):
    put(tmp_path / "a.txt", "one\ntwo\n")
    put(tmp_path / "b.txt", "two\n")
    assert run(ctx, "two", path="a.txt").content == "a.txt:2:two"


def test_the_search_stops_at_max_results_and_says_so(ctx, tmp_path):
    put(tmp_path / "a.txt", "hit\n" * 5)
    put(tmp_path / "b.txt", "hit\n")
    lines = run(ctx, "hit", max_results=3).content.split("\n")
    assert lines[:3] == ["a.txt:1:hit", "a.txt:2:hit", "a.txt:3:hit"]
    assert len(lines) == 4
    assert "max_results=3" in lines[3]


def test_an_invalid_regex_is_an_error_naming_the_problem(ctx):
    out = run(ctx, "foo(")
    assert out.is_error
    assert "invalid regular expression" in out.content
    assert "missing )" in out.content


def test_no_match_is_a_plain_answer_and_a_missing_path_an_error(ctx, tmp_path):
    put(tmp_path / "a.txt", "nothing here\n")
    out = run(ctx, "absent")
    assert not out.is_error and "no matches" in out.content
    missing = run(ctx, "x", path="gone")
    assert missing.is_error and "gone" in missing.content


def test_long_lines_are_cut(ctx, tmp_path):
    put(tmp_path / "a.txt", "hit" + "x" * 1000 + "\n")
    line = run(ctx, "hit").content
    assert line.startswith("a.txt:1:hit")
    assert "more characters" in line
    assert len(line) < 600


def test_a_cancelled_token_stops_the_walk(ctx, tmp_path):
    put(tmp_path / "a.txt", "hit\n")
    ctx.cancel.cancel()
    with pytest.raises(ToolCancelled):
        run(ctx, "hit")
