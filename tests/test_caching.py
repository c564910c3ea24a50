import pytest

from tkach_sync import Usage, cache_report


def test_a_cold_write_costs_more_and_warm_reads_save():
    cold = cache_report(Usage(input_tokens=100, cache_creation_input_tokens=900))
    assert cold.hit_rate == 0
    assert cold.relative_cost == pytest.approx((100 + 900 * 1.25) / 1000)
    assert cold.savings < 0

    warm = cache_report(Usage(input_tokens=100, cache_read_input_tokens=900))
    assert warm.hit_rate == pytest.approx(0.9)
    assert warm.relative_cost == pytest.approx((100 + 90) / 1000)
    assert "90%" in str(warm)


def test_one_hour_writes_cost_double():
    report = cache_report(Usage(cache_creation_input_tokens=10), write_ttl="1h")
    assert report.relative_cost == pytest.approx(2.0)


def test_writes_reported_as_one_hour_cost_double_and_the_rest_as_write_ttl_says():
    usage = Usage(cache_creation_input_tokens=10, cache_creation_1h_input_tokens=4)
    assert cache_report(usage).relative_cost == pytest.approx((4 * 2.0 + 6 * 1.25) / 10)
    assert cache_report(usage, write_ttl="1h").relative_cost == pytest.approx(2.0)


def test_a_run_over_several_turns_pays_off():
    turns = [
        Usage(input_tokens=50, cache_creation_input_tokens=2000),
        Usage(input_tokens=60, cache_read_input_tokens=2000),
        Usage(input_tokens=70, cache_read_input_tokens=2000),
    ]
    total = turns[0] + turns[1] + turns[2]
    assert cache_report(total).savings > 0.4


def test_no_input_is_neutral():
    assert cache_report(Usage()).relative_cost == 1.0
