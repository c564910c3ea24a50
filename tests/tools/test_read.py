import pytest

from tkach_sync.errors import ToolCancelled
from tkach_sync.tools.read import Read

read = Read()


def run(ctx, **input):
    return read.execute({"offset": 0, "limit": 2000, **input}, ctx)


def write_lines(path, count):
    path.write_text("".join(f"line {n}\n" for n in range(1, count + 1)))


def test_a_whole_file_comes_back_as_numbered_lines_without_a_header(ctx, tmp_path):
    (tmp_path / "a.txt").write_text("alpha\nbeta\n\tgamma")
    out = run(ctx, file_path="a.txt")
    assert not out.is_error
    assert out.content == "1\talpha\n2\tbeta\n3\t\tgamma"


def test_offset_and_limit_keep_absolute_line_numbers_and_say_how_to_see_more(ctx, tmp_path):
    write_lines(tmp_path / "a.txt", 10)
    out = run(ctx, file_path="a.txt", offset=3, limit=2)
    header, *lines = out.content.split("\n")
    assert lines == ["4\tline 4", "5\tline 5"]
    assert "4-5 of 10" in header
    assert "offset=5" in header


def test_a_window_reaching_the_end_says_so(ctx, tmp_path):
    write_lines(tmp_path / "a.txt", 10)
    header, *lines = run(ctx, file_path="a.txt", offset=8, limit=5).content.split("\n")
    assert lines == ["9\tline 9", "10\tline 10"]
    assert "9-10 of 10" in header
    assert "end of the file" in header


def test_a_limit_shorter_than_the_file_adds_a_header_even_at_offset_zero(ctx, tmp_path):
    write_lines(tmp_path / "a.txt", 3)
    header, *lines = run(ctx, file_path="a.txt", limit=1).content.split("\n")
    assert lines == ["1\tline 1"]
    assert "1-1 of 3" in header


def test_an_offset_past_the_end_is_an_error_giving_the_line_count(ctx, tmp_path):
    write_lines(tmp_path / "a.txt", 3)
    out = run(ctx, file_path="a.txt", offset=3)
    assert out.is_error
    assert "3 lines" in out.content


def test_very_long_lines_are_cut_with_a_marker(ctx, tmp_path):
    (tmp_path / "a.txt").write_text("x" * 2500 + "\nshort\n")
    first, second = run(ctx, file_path="a.txt").content.split("\n")
    assert first.startswith("1\t" + "x" * 2000)
    assert "500 more characters" in first
    assert len(first) < 2100
    assert second == "2\tshort"


def test_crlf_line_endings_do_not_leak_into_the_text(ctx, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    assert run(ctx, file_path="a.txt").content == "1\tone\n2\ttwo"


def test_invalid_utf8_is_shown_with_replacement_characters(ctx, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"caf\xe9\n")
    out = run(ctx, file_path="a.txt")
    assert not out.is_error
    assert out.content == "1\tcaf\ufffd"


def test_an_absolute_path_works_and_relative_ones_resolve_against_the_working_dir(ctx, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("hi\n")
    assert run(ctx, file_path="sub/a.txt").content == "1\thi"
    assert run(ctx, file_path=str(tmp_path / "sub" / "a.txt")).content == "1\thi"


def test_a_missing_file_is_an_error(ctx):
    out = run(ctx, file_path="nope.txt")
    assert out.is_error
    assert "not found" in out.content and "nope.txt" in out.content


def test_a_directory_is_an_error_that_suggests_glob(ctx, tmp_path):
    (tmp_path / "d").mkdir()
    out = run(ctx, file_path="d")
    assert out.is_error
    assert "directory" in out.content and "glob" in out.content


def test_a_binary_file_is_refused(ctx, tmp_path):
    (tmp_path / "b.bin").write_bytes(b"PK\x03\x04\x00\x00rest")
    out = run(ctx, file_path="b.bin")
    assert out.is_error
    assert "binary" in out.content


def test_an_empty_file_is_reported_as_empty(ctx, tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    out = run(ctx, file_path="e.txt")
    assert not out.is_error  # reading worked; there is just nothing in it
    assert out.content == "e.txt is empty (0 bytes)."


def test_a_cancelled_token_stops_a_long_read(ctx, tmp_path):
    write_lines(tmp_path / "big.txt", 25_000)
    ctx.cancel.cancel()
    with pytest.raises(ToolCancelled):
        run(ctx, file_path="big.txt")
