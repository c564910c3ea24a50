from tkach_sync import tools
from tkach_sync.executor import ToolCall, ToolExecutor
from tkach_sync.tool import ToolClass
from tkach_sync.tools import Bash, Edit, Glob, Grep, Read, Write


def test_the_executor_validates_input_against_the_params_model(ctx):
    executor = ToolExecutor([Read(), Glob()])
    result = executor.execute_one(ToolCall("t1", "read", {}), ctx)
    assert result.is_error
    assert "file_path" in result.content


def test_the_executor_fills_defaults_before_the_tool_runs(ctx, tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    executor = ToolExecutor([Read(), Glob()])
    calls = [
        ToolCall("t1", "read", {"file_path": "a.txt"}),
        ToolCall("t2", "glob", {"pattern": "*"}),
    ]
    read, glob = executor.execute_batch(calls, ctx)
    assert (read.content, read.is_error) == ("1\tone\n2\ttwo", False)
    assert (glob.content, glob.is_error) == ("a.txt", False)


def test_the_schema_the_model_sees_names_the_contract_fields():
    schema = Read().input_schema
    assert schema["required"] == ["file_path"]
    assert set(schema["properties"]) == {"file_path", "offset", "limit"}
    assert schema["additionalProperties"] is False


def test_defaults_are_fresh_instances_of_the_everyday_tools_in_order():
    first, second = tools.defaults(), tools.defaults()
    assert [t.name for t in first] == ["read", "write", "edit", "glob", "grep", "bash"]
    assert [type(t) for t in first] == [Read, Write, Edit, Glob, Grep, Bash]
    assert all(a is not b for a, b in zip(first, second, strict=True))
    assert [t.tool_class for t in first] == [
        ToolClass.READ_ONLY,
        ToolClass.MUTATING,
        ToolClass.MUTATING,
        ToolClass.READ_ONLY,
        ToolClass.READ_ONLY,
        ToolClass.MUTATING,
    ]
