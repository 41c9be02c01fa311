"""POST /ihp/auth with generated bodies: every answer is 401 or a 4xx of spec §11 (400,
413, 415, 422), never a 5xx, and no unexpected exception is ever counted."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ihp_server import PrometheusMetricsSink, create_app
from ihp_server.testing import asgi_test_client, env_hash_for_tests, settings_for_tests

METRICS = PrometheusMetricsSink()
CLIENT = asgi_test_client(create_app(settings_for_tests(), env_hash_for_tests(),
                                     metrics=METRICS))
FIELDS = ("version", "header_id", "client_nonce_b64", "server_profile_id", "network_context",
          "payload_b64")

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    st.sampled_from(["42", "042", "AAAAAAAAAAAAAAAA", "AAAA", "", "=="]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
network = st.fixed_dictionaries({}, optional={"rtt_bucket": values, "path_hint": values})
forms = st.fixed_dictionaries({}, optional={
    **dict.fromkeys(FIELDS, values), "network_context": st.one_of(network, values)})


def internal_errors() -> float:
    return METRICS.registry.get_sample_value("ihp_http_internal_errors_total",
                                             {"endpoint": "auth"}) or 0.0


# the profile's count (tests/conftest.py: 100 per run, 5,000 nightly)
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(forms, values))
def test_generated_json_bodies_never_get_a_5xx(body: Any) -> None:
    response = CLIENT.post("/ihp/auth", content=json.dumps(body),
                           headers={"content-type": "application/json"})
    assert response.status_code in {401, 400, 413, 415, 422}
    assert internal_errors() == 0


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300))
def test_generated_bytes_never_get_a_5xx(raw: bytes) -> None:
    response = CLIENT.post("/ihp/auth", content=raw,
                           headers={"content-type": "application/json"})
    assert response.status_code in {401, 400, 422}
    assert internal_errors() == 0
