"""The fake server's Message Batches endpoints, seen from a plain HTTP client."""

import json
import re
from datetime import datetime, timedelta

import pytest
import requests

from tkach_sync.testing import Turn, render_anthropic_json

ROOT = "/v1/messages/batches"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def item(custom_id, **params):
    return {"custom_id": custom_id, "params": {"model": "claude-x", "max_tokens": 10} | params}


def body_of(*custom_ids):
    return {"requests": [item(c, messages=[{"role": "user", "content": c}]) for c in custom_ids]}


def call(server, method, path="", **kwargs):
    url = path if path.startswith("http") else f"{server.url}{ROOT}{path}"
    return requests.request(method, url, timeout=5, **kwargs)


def create(server, *custom_ids):
    response = call(server, "POST", json=body_of(*custom_ids))
    assert response.status_code == 200, response.text
    return response.json()


def results(server, batch):
    response = call(server, "GET", f"/{batch['id']}/results")
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def when(text):
    return datetime.fromisoformat(text)


# --- create, retrieve, the batch object -------------------------------------------


def test_a_new_batch_is_in_progress_with_every_request_processing(server):
    batch = create(server, "a", "b", "c")

    assert re.fullmatch(r"msgbatch_01[A-Za-z0-9]{22}", batch["id"])
    assert batch["type"] == "message_batch"
    assert batch["processing_status"] == "in_progress"
    assert batch["request_counts"] == {
        "processing": 3,
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert TIMESTAMP.match(batch["created_at"]) and TIMESTAMP.match(batch["expires_at"])
    assert when(batch["expires_at"]) - when(batch["created_at"]) == timedelta(hours=24)
    assert batch["ended_at"] is batch["cancel_initiated_at"] is batch["archived_at"] is None
    assert batch["results_url"] is None
    assert server.batches.ids == [batch["id"]]


def test_the_create_body_is_recorded_and_retrieve_answers_the_same_batch(server):
    batch = create(server, "a")

    again = call(server, "GET", f"/{batch['id']}")

    assert again.json() == batch
    assert again.headers["content-type"] == "application/json"
    assert [r.method for r in server.requests] == ["POST", "GET"]
    assert server.requests[0].json() == body_of("a")
    assert server.batches.polls(batch["id"]) == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ([], "not a JSON object"),
        ({}, "requests: Field required"),
        ({"requests": []}, "1 to 100000 requests, not 0"),
        ({"requests": [item("has space", messages=[])]}, "requests.0.custom_id: String should"),
        ({"requests": [item("x" * 65, messages=[])]}, "at most 64 characters"),
        ({"requests": [item("a", messages=[]), item("a", messages=[])]}, "'a' is used twice"),
        ({"requests": [{"custom_id": "a"}]}, "requests.0.params: Field required"),
        ({"requests": [{"custom_id": "a", "params": {}, "x": 1}]}, "requests.0.x: Extra"),
        ({"requests": [item("a", messages=[], stream=True)]}, "params.stream"),
        ({"requests": [item("a")]}, "requests.0.params.messages: Field required"),
        ({"requests": [item("a", messages=[], max_tokens=0)]}, "max_tokens"),
    ],
)
def test_a_body_the_api_would_refuse_is_a_400_and_creates_nothing(server, body, says):
    response = call(server, "POST", json=body)

    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert says in response.json()["error"]["message"]
    assert server.batches.ids == []


def test_more_than_100000_requests_is_a_400(server):
    one = json.dumps(item("a", messages=[]))
    body = '{"requests":[' + ",".join([one] * 100_001) + "]}"

    response = call(server, "POST", data=body, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert "not 100001" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/msgbatch_nope", 404),
        ("POST", "/msgbatch_nope/cancel", 404),
        ("GET", "/msgbatch_nope/results", 404),
        ("DELETE", "", 405),
        ("POST", "/msgbatch_nope", 405),
        ("GET", "/msgbatch_nope/cancel", 405),
        ("GET", "/a/b/c", 404),
    ],
)
def test_unknown_batches_and_wrong_methods(server, method, path, status):
    response = call(server, method, path)

    assert response.status_code == status
    assert response.json()["type"] == "error"
    assert response.json()["request_id"] == response.headers["request-id"]


# --- how a batch ends -----------------------------------------------------------------


def test_a_batch_ends_after_the_polls_it_was_told(server):
    server.batches.end_after_polls(2)
    batch = create(server, "a", "b")

    statuses = [call(server, "GET", f"/{batch['id']}").json() for _ in range(4)]

    assert [s["processing_status"] for s in statuses] == ["in_progress"] * 2 + ["ended"] * 2
    ended = statuses[2]
    assert ended["request_counts"]["processing"] == 0
    assert ended["request_counts"]["succeeded"] == 2
    assert TIMESTAMP.match(ended["ended_at"])
    assert ended["results_url"] == f"{server.url}{ROOT}/{batch['id']}/results"
    assert server.batches.polls(batch["id"]) == 4


def test_each_request_ends_as_scripted_and_the_counts_add_up(server):
    hello = Turn.text("Hello", model="claude-y")
    server.batches.set_outcome("ok", hello)
    server.batches.set_outcome("bad", Turn.error(529, "Overloaded"))
    server.batches.set_outcome("late", "expired")
    server.batches.set_outcome("never", "canceled")
    batch = create(server, "ok", "bad", "late", "never", "plain")

    server.batches.end(batch["id"])
    snapshot = server.batches.snapshot(batch["id"])
    rows = {row["custom_id"]: row["result"] for row in results(server, batch)}

    assert snapshot["request_counts"] == {
        "processing": 0,
        "succeeded": 2,
        "errored": 1,
        "canceled": 1,
        "expired": 1,
    }
    expected = render_anthropic_json(hello, model="claude-x")
    expected["usage"]["service_tier"] = "batch"
    assert rows["ok"] == {"type": "succeeded", "message": expected}
    assert rows["bad"] == {
        "type": "errored",
        "error": {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": None,
        },
    }
    assert rows["late"] == {"type": "expired"}
    assert rows["never"] == {"type": "canceled"}
    assert rows["plain"]["message"]["content"] == [{"type": "text", "text": "Answer to plain."}]


def test_results_are_chunked_jsonl_one_line_per_request(server):
    batch = create(server, "a", "b")
    server.batches.end()

    response = call(server, "GET", f"/{batch['id']}/results")

    assert response.headers["content-type"] == "application/x-jsonl"
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.text.endswith("\n") and response.text.count("\n") == 2


def test_results_before_the_end_are_a_404(server):
    batch = create(server, "a")

    response = call(server, "GET", f"/{batch['id']}/results")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert "in_progress" in response.json()["error"]["message"]


def test_cancel_moves_to_canceling_and_unstarted_requests_end_canceled(server):
    server.batches.set_outcome("done", Turn.text("Finished before the cancel"))
    batch = create(server, "done", "queued")

    cancelling = call(server, "POST", f"/{batch['id']}/cancel")
    server.batches.end(batch["id"])
    ended = call(server, "GET", f"/{batch['id']}").json()

    assert cancelling.json()["processing_status"] == "canceling"
    assert TIMESTAMP.match(cancelling.json()["cancel_initiated_at"])
    assert server.requests[1].body == b""
    assert ended["processing_status"] == "ended"
    assert ended["cancel_initiated_at"] == cancelling.json()["cancel_initiated_at"]
    assert ended["request_counts"]["succeeded"] == ended["request_counts"]["canceled"] == 1
    rows = {row["custom_id"]: row["result"]["type"] for row in results(server, batch)}
    assert rows == {"done": "succeeded", "queued": "canceled"}


def test_cancelling_an_ended_batch_changes_nothing(server):
    batch = create(server, "a")
    server.batches.end()
    before = server.batches.snapshot(batch["id"])

    assert call(server, "POST", f"/{batch['id']}/cancel").json() == before


def test_batch_outcomes_leave_the_message_turns_alone(server):
    server.add(Turn.text("for /v1/messages"))
    server.batches.set_outcome("a", Turn.text("for the batch"))
    batch = create(server, "a")
    server.batches.end()

    assert results(server, batch)[0]["result"]["message"]["content"][0]["text"] == "for the batch"
    assert server.pending == 1
    answer = requests.post(f"{server.url}/v1/messages", json={"model": "m"}, timeout=5)
    assert answer.json()["content"][0]["text"] == "for /v1/messages"


# --- listing ----------------------------------------------------------------------------


def test_list_pages_newest_first_forwards_and_back(server):
    ids = [create(server, "a")["id"] for _ in range(5)]
    newest_first = ids[::-1]

    first = call(server, "GET", params={"limit": 2}).json()
    second = call(server, "GET", params={"limit": 2, "after_id": first["last_id"]}).json()
    last = call(server, "GET", params={"limit": 2, "after_id": second["last_id"]}).json()
    back = call(server, "GET", params={"limit": 2, "before_id": last["first_id"]}).json()

    assert [b["id"] for b in first["data"]] == newest_first[:2] and first["has_more"]
    assert (first["first_id"], first["last_id"]) == (newest_first[0], newest_first[1])
    assert [b["id"] for b in second["data"]] == newest_first[2:4] and second["has_more"]
    assert [b["id"] for b in last["data"]] == newest_first[4:] and not last["has_more"]
    assert back == second
    assert len(call(server, "GET").json()["data"]) == 5  # the default limit is 20


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"after_id": "a", "before_id": "b"}],
)
def test_list_refuses_bad_paging(server, params):
    create(server, "a")

    response = call(server, "GET", params=params)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_an_empty_list(server):
    assert call(server, "GET").json() == {
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }


# --- synthetic batches and faults -----------------------------------------------------


def test_a_synthetic_batch_streams_every_row(server):
    batch_id = server.batches.add_synthetic(5_000)

    with call(server, "GET", f"/{batch_id}/results", stream=True) as response:
        rows = [json.loads(line) for line in response.iter_lines()]

    assert [row["custom_id"] for row in rows] == [f"req-{i:06d}" for i in range(5_000)]
    message = rows[7]["result"]["message"]
    assert message["content"] == [{"type": "text", "text": "Answer to req-000007."}]
    assert message["model"] == "fake-model" and message["usage"]["service_tier"] == "batch"
    assert len({row["result"]["message"]["id"] for row in rows}) == 5_000
    assert server.batches.snapshot(batch_id)["request_counts"]["succeeded"] == 5_000


def test_an_error_fault_answers_instead_and_the_request_has_no_effect(server):
    batch = create(server, "a")
    handle = server.batches.fault(
        Turn.error(529, "Overloaded", headers={"retry-after": "2"}), on="retrieve"
    )

    listed = call(server, "GET")  # not the endpoint the fault waits for
    refused = call(server, "GET", f"/{batch['id']}")

    assert listed.status_code == 200
    assert refused.status_code == 529 and refused.headers["retry-after"] == "2"
    assert refused.json()["error"]["type"] == "overloaded_error"
    assert handle.request.path == f"{ROOT}/{batch['id']}"
    assert server.batches.polls(batch["id"]) == 0


def test_a_replaced_line_and_a_cut_shape_the_results_file(server):
    batch_id = server.batches.add_synthetic(10)
    server.batches.replace_line(2, b"{not json")
    handle = server.batches.fault(Turn().cut(after_events=3), on="results")

    with call(server, "GET", f"/{batch_id}/results", stream=True) as response:
        lines = []
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            lines.extend(response.iter_lines())

    assert len(lines) == 3 and lines[1] == b"{not json"
    assert json.loads(lines[2])["custom_id"] == "req-000002"
    assert handle.finished.wait(5)


def test_a_hanging_results_file_notices_the_client_leave(server):
    batch_id = server.batches.add_synthetic(10)
    handle = server.batches.fault(Turn().hang(after_events=1), on="results")

    with call(server, "GET", f"/{batch_id}/results", stream=True) as response:
        first = next(response.iter_lines())

    assert json.loads(first)["custom_id"] == "req-000000"
    assert handle.client_disconnected.wait(5)


def test_scripting_mistakes_are_refused(server):
    with pytest.raises(ValueError, match="no raw body"):
        server.batches.set_outcome("a", Turn.raw(b"{}"))
    with pytest.raises(TypeError, match="'canceled' or 'expired'"):
        server.batches.set_outcome("a", "cancelled")  # British spelling: not the wire's
    with pytest.raises(ValueError, match="on must be one of"):
        server.batches.fault(Turn.error(500, "x"), on="retreive")
    with pytest.raises(ValueError):
        server.batches.end_after_polls(-1)
    with pytest.raises(KeyError, match="no batch"):
        server.batches.snapshot("msgbatch_nope")
    with pytest.raises(ValueError):
        server.batches.add_synthetic(0)
