"""Alert-rule tests in Python, with the `cwfilter_simulation` fixture of cwfilter's pytest plugin."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = [HERE.parent / "metric-filters.yaml", HERE.parent / "alarms.yaml"]


def test_incident_pages_the_on_call(cwfilter_simulation):
    sim = cwfilter_simulation(CONFIG, start="2024-06-03T09:00:00Z")
    sim.feed_file(HERE / "incident-2024-06-03.jsonl")

    assert sim.metric("OrdersApi/ServerErrors", at="3m") == 7
    assert sim.alarm_state("orders-api-5xx", at="3m") == "OK"
    assert sim.alarm_state("orders-api-5xx", at="4m") == "ALARM"
    sim.assert_alarm("orders-api-5xx", at="6m", state="OK")


def test_failed_payments_are_counted_per_provider(cwfilter_simulation):
    sim = cwfilter_simulation(CONFIG, start="2024-06-03T09:00:00Z")
    sim.repeat('{"event": "payment_failed", "provider": "stripe"}', every="15s", count=4)
    sim.feed('{"event": "payment_failed", "provider": "adyen"}', at="30s")

    assert sim.metric("PaymentFailures", at="0m", dimensions={"provider": "stripe"}) == 4
    assert sim.metric("PaymentFailures", at="0m", dimensions={"provider": "adyen"}) == 1
    assert sim.alarm_state("orders-api-stripe-failures", at="1m") == "ALARM"


def test_one_slow_request_pages_only_once_traffic_stops(cwfilter_simulation):
    sim = cwfilter_simulation(CONFIG, start="2024-06-03T09:00:00Z")
    sim.repeat('{"path": "/orders", "status": 200, "latency_ms": 90}', every="1s", count=299)
    sim.feed('{"path": "/orders", "status": 200, "latency_ms": 4000}')

    # 300 samples in five minutes: p99 is the 297th smallest, and the slow request is the 300th.
    assert sim.metric("Latency", at="0m", statistic="p99", period=300) == 90
    sim.assert_no_transition("orders-api-latency-p99", to="ALARM", between=("0m", "8m"))
    # The five-minute window slides every minute: at 09:09 it holds the last 59 fast requests and
    # the slow one, and p99 of 60 samples is the slowest.
    assert sim.alarm_state("orders-api-latency-p99", at="9m") == "ALARM"
