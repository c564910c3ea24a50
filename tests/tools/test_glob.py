import os

import pytest

from tkach_sync.errors import ToolCancelled
from tkach_sync.tools._common import compile_glob
from tkach_sync.tools.glob import Glob

glob = Glob()


def touch(path, mtime=1_000_000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))


def run(ctx, pattern, path=None):
    return glob.execute({"pattern": pattern, "path": path}, ctx)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.py", "a.py", True),
        ("*.py", "src/a.py", False),
        ("**/*.py", "a.py", True),
        ("**/*.py", "src/deep/a.py", True),
        ("src/**", "src/deep/a.py", True),
        ("a?.txt", "ab.txt", True),
        ("a?.txt", "a/.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "b.txt", False),
        ("[!ab].txt", "c.txt", True),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_glob_patterns_follow_shell_rules_with_double_star(pattern, path, matches):
    assert bool(compile_glob(pattern).fullmatch(path)) is matches


def test_matches_come_newest_first_relative_to_the_working_dir(ctx, tmp_path):
    touch(tmp_path / "old.py", mtime=1_000)
    touch(tmp_path / "src" / "new.py", mtime=3_000)
    touch(tmp_path / "src" / "mid.py", mtime=2_000)
    touch(tmp_path / "notes.txt", mtime=4_000)
    out = run(ctx, "**/*.py")
    assert not out.is_error
    assert out.content.split("\n") == ["src/new.py", "src/mid.py", "old.py"]


def test_path_narrows_the_search_and_the_pattern_is_relative_to_it(ctx, tmp_path):
    touch(tmp_path / "a.py")
    touch(tmp_path / "src" / "b.py")
    assert run(ctx, "*.py", path="src").content == "src/b.py"
    assert run(ctx, "src/*.py").content == "src/b.py"


def test_files_outside_the_working_dir_are_shown_with_absolute_paths(ctx, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    touch(elsewhere / "x.md")
    assert run(ctx, "*.md", path=str(elsewhere)).content == str(elsewhere / "x.md")
    assert run(ctx, str(elsewhere / "*.md")).content == str(elsewhere / "x.md")


def test_version_control_folders_and_node_modules_are_skipped(ctx, tmp_path):
    touch(tmp_path / ".git" / "config.js")
    touch(tmp_path / "node_modules" / "lib" / "index.js")
    touch(tmp_path / "app.js")
    assert run(ctx, "**/*.js").content == "app.js"


def test_no_match_is_a_plain_answer_not_an_error(ctx, tmp_path):
    touch(tmp_path / "a.py")
    out = run(ctx, "**/*.rs")
    assert not out.is_error
    assert "no files match" in out.content


def test_a_missing_folder_is_an_error(ctx):
    out = run(ctx, "*.py", path="nowhere")
    assert out.is_error and "nowhere" in out.content


def test_the_listing_is_capped_with_a_count_of_the_rest(ctx, tmp_path):
    for n in range(1003):
        (tmp_path / f"f{n:04}.txt").write_text("")
    lines = run(ctx, "*.txt").content.split("\n")
    assert len(lines) == 1001
    assert "3 more files" in lines[-1]


def test_a_cancelled_token_stops_the_walk(ctx, tmp_path):
    touch(tmp_path / "a.py")
    ctx.cancel.cancel()
    with pytest.raises(ToolCancelled):
        run(ctx, "**/*.py")
