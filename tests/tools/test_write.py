from tkach_sync.tools.write import Write

write = Write()


def test_write_creates_parent_folders_and_reports_bytes_and_path(ctx, tmp_path):
    out = write.execute({"file_path": "a/b/c.txt", "content": "héllo\n"}, ctx)
    assert not out.is_error
    assert (tmp_path / "a/b/c.txt").read_bytes() == "héllo\n".encode()
    assert "7 bytes" in out.content
    assert "a/b/c.txt" in out.content
    assert "created" in out.content


def test_write_overwrites_an_existing_file_and_says_so(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("old content that is longer")
    out = write.execute({"file_path": str(tmp_path / "f.txt"), "content": "new"}, ctx)
    assert (tmp_path / "f.txt").read_text() == "new"
    assert "overwrote" in out.content


def test_write_keeps_the_content_byte_for_byte(ctx, tmp_path):
    write.execute({"file_path": "crlf.txt", "content": "a\r\nb\rc\n"}, ctx)
    assert (tmp_path / "crlf.txt").read_bytes() == b"a\r\nb\rc\n"


def test_write_to_a_directory_is_an_error(ctx, tmp_path):
    (tmp_path / "d").mkdir()
    out = write.execute({"file_path": "d", "content": "x"}, ctx)
    assert out.is_error
    assert "directory" in out.content
