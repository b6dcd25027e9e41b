"""Sign-in throttling (pure policy, the guard, the token endpoint on the in-memory store),
the client address behind trusted proxies, and sign-out revoking the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.requests import Request

from services.common.auth import (
    AuthContext,
    Principal,
    Role,
    TokenService,
    UserDirectory,
    UserRecord,
    auth_router,
)
from services.common.clients import client_address, trusted_networks
from services.common.problems import install_problem_handlers
from services.common.settings import Settings
from services.common.signin import MemorySessions, SignInGuard
from services.common.throttle import Tally, ThrottlePolicy

SECRET = "test-secret-that-is-long-enough-for-hs256"
T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(free_per_account=5, free_per_address=20, max_delay=timedelta(minutes=15))


# -- the policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0.0), (4, 0.0), (5, 1.0), (6, 2.0), (7, 4.0), (14, 512.0), (15, 900.0), (500, 900.0)],
)
def test_the_wait_doubles_after_the_free_failures_up_to_the_cap(
    failures: int, delay: float
) -> None:
    assert POLICY.delay(failures, free=5) == delay


def test_the_wait_counts_from_the_last_failure() -> None:
    account = Tally(6, T0)
    assert POLICY.wait(account, Tally(), T0 + timedelta(seconds=0.5)) == 1.5
    assert POLICY.wait(account, Tally(), T0 + timedelta(seconds=2)) == 0.0


def test_the_address_has_its_own_higher_allowance() -> None:
    assert POLICY.wait(Tally(), Tally(19, T0), T0) == 0.0
    assert POLICY.wait(Tally(), Tally(20, T0), T0) == 1.0
    assert POLICY.wait(Tally(2, T0), Tally(21, T0), T0) == 2.0


def test_attempts_still_being_checked_count_as_failures_now() -> None:
    earlier = T0 - timedelta(minutes=5)
    assert Tally(3, earlier).plus(0, T0) == Tally(3, earlier)
    assert Tally(3, earlier).plus(2, T0) == Tally(5, T0)


def test_a_policy_that_would_forget_before_the_wait_ends_is_refused() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(max_delay=timedelta(hours=2), memory=timedelta(hours=1))
    with pytest.raises(ValueError):
        ThrottlePolicy(free_per_account=0)


# -- the guard --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _guard() -> tuple[SignInGuard, Clock]:
    clock = Clock()
    return SignInGuard(MemorySessions(), POLICY, clock), clock


def test_five_failures_then_a_wait_then_one_more_try() -> None:
    guard, clock = _guard()
    for _ in range(5):
        admission = guard.admit("agent1", "addr")
        assert admission.wait == 0
        guard.settle(admission, succeeded=False)
    assert guard.admit("agent1", "addr").wait == 1.0
    assert guard.admit("agent2", "addr").wait == 0  # another account from the same address
    clock.now += timedelta(seconds=1)
    assert guard.admit("agent1", "addr").wait == 0


def test_concurrent_attempts_are_held_back_before_any_has_failed() -> None:
    guard, _ = _guard()
    admitted = [guard.admit("agent1", f"addr{i}") for i in range(5)]
    assert all(a.wait == 0 for a in admitted)
    assert guard.admit("agent1", "addr9").wait > 0
    for admission in admitted:
        guard.settle(admission, succeeded=True)
    assert guard.admit("agent1", "addr9").wait == 0


def test_a_success_forgives_the_account_but_not_the_address() -> None:
    guard, _ = _guard()
    policy_address = ThrottlePolicy(free_per_account=5, free_per_address=6)
    guard.policy = policy_address
    for _ in range(4):
        guard.settle(guard.admit("agent1", "addr"), succeeded=False)
    guard.settle(guard.admit("agent2", "addr"), succeeded=False)
    ok = guard.admit("agent1", "addr")
    assert ok.had_failures
    guard.settle(ok, succeeded=True)
    assert guard.store.tally("agent1", "addr", T0 - timedelta(hours=1))[0] == Tally()
    guard.settle(guard.admit("agent2", "addr"), succeeded=False)
    # agent1's failures are forgiven, so the address's count is agent2's two only.
    assert guard.store.tally("agent1", "addr", T0 - timedelta(hours=1))[1].failures == 2


def test_failures_are_forgotten_after_the_memory() -> None:
    guard, clock = _guard()
    for _ in range(10):
        guard.store.failed("agent1", "addr", T0)
    assert guard.admit("agent1", "addr").wait == 32.0
    clock.now += POLICY.memory
    assert guard.admit("agent1", "addr").wait == 0


# -- the client address -----------------------------------------------------------------


def _request(forwarded: list[str], peer: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "headers": headers, "client": (peer, 5000)})


@pytest.mark.parametrize(
    ("trusted", "forwarded", "peer", "client"),
    [
        ("", [], "10.0.0.9", "10.0.0.9"),
        ("", ["1.2.3.4"], "10.0.0.9", "10.0.0.9"),  # nobody trusted: the header is anyone's word
        ("10.0.0.9", ["1.2.3.4"], "203.0.113.5", "203.0.113.5"),  # not from the proxy
        ("10.0.0.9", ["1.2.3.4"], "10.0.0.9", "1.2.3.4"),
        ("10.0.0.0/24", ["6.6.6.6, 1.2.3.4"], "10.0.0.9", "1.2.3.4"),  # forged left entry
        ("10.0.0.0/24, 172.18.0.0/16", ["6.6.6.6, 1.2.3.4, 172.18.0.3"], "10.0.0.9", "1.2.3.4"),
        ("10.0.0.0/24", ["6.6.6.6", "1.2.3.4"], "10.0.0.9", "1.2.3.4"),  # two header lines
        ("10.0.0.9", [], "10.0.0.9", "10.0.0.9"),  # the proxy itself asking
        ("10.0.0.0/24", ["10.0.0.7"], "10.0.0.9", "10.0.0.7"),  # trusted all the way
        ("10.0.0.9", ["6.6.6.6, not-an-ip"], "10.0.0.9", "10.0.0.9"),  # garbage: stop at proxy
        ("::1", ["2001:db8::1"], "::1", "2001:db8::1"),
        ("127.0.0.1", ["1.2.3.4"], "testclient", "testclient"),
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_vouches_for(
    trusted: str, forwarded: list[str], peer: str, client: str
) -> None:
    assert client_address(_request(forwarded, peer), trusted_networks(trusted)) == client


def test_a_bad_trusted_proxy_is_named_at_start_up() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        Settings(trusted_proxies="10.0.0.1, 10.0.0.300")
    assert Settings().trusted_proxies == ""


# -- the token endpoint -----------------------------------------------------------------


class CountingHasher(PasswordHash):
    """argon2 at its cheapest (these tests are about when it runs, not its cost), counting
    how often a password is checked."""

    def __init__(self) -> None:
        super().__init__([Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)])
        self.checks = 0

    def verify(self, *args: object, **kwargs: object) -> bool:  # type: ignore[override]
        self.checks += 1
        return super().verify(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture(scope="module")
def directory(hasher: CountingHasher) -> UserDirectory:
    records = [
        UserRecord(username=name, name=name, role=Role.agent, password_hash=hasher.hash(name))
        for name in ("agent1", "agent2", "leader")
    ]
    return UserDirectory(records, hasher)


def _app(directory: UserDirectory, trusted: str = "", per_address: int = 20) -> FastAPI:
    policy = ThrottlePolicy(free_per_account=5, free_per_address=per_address)
    app = FastAPI()
    install_problem_handlers(app)
    app.state.auth = AuthContext(
        directory,
        TokenService(SECRET, 30),
        guard=SignInGuard(MemorySessions(), policy),
        proxies=trusted_networks(trusted),
    )
    app.include_router(auth_router())
    return app


def _throttled_so_far() -> float:
    sample = REGISTRY.get_sample_value("hotline_auth_failures_total", {"reason": "throttled"})
    assert sample is not None  # the series exists from the start, at zero
    return sample


def _sign_in(client: TestClient, user: str, password: str, **headers: str) -> int:
    form = {"username": user, "password": password}
    return client.post("/api/v1/auth/token", data=form, headers=headers).status_code


def test_a_burst_meets_429_before_any_password_is_hashed(
    hasher: CountingHasher, directory: UserDirectory
) -> None:
    client = TestClient(_app(directory))
    before = _throttled_so_far()
    assert [_sign_in(client, "agent1", f"guess{i}") for i in range(5)] == [401] * 5
    checks = hasher.checks
    refused = client.post(
        "/api/v1/auth/token",
        data={"username": "agent1", "password": "agent1"},
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("auth.throttled")
    assert refused.json()["detail"] == "Too many failed sign-ins; try again in 1 seconds."
    assert [_sign_in(client, "agent1", f"more{i}") for i in range(20)] == [429] * 20
    assert hasher.checks == checks  # refused unchecked: no argon2 spent on them
    assert _throttled_so_far() == before + 21


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
    directory: UserDirectory,
) -> None:
    client = TestClient(_app(directory, "10.0.0.9", per_address=3), client=("203.0.113.7", 5000))
    spoofed = [
        _sign_in(client, f"nobody{i}", "x", **{"X-Forwarded-For": f"198.51.100.{i}"})
        for i in range(5)
    ]
    assert spoofed == [401, 401, 401, 429, 429]


def test_a_trusted_proxys_forwarded_address_is_the_one_counted(directory: UserDirectory) -> None:
    client = TestClient(_app(directory, "10.0.0.0/24", per_address=3), client=("10.0.0.9", 5000))
    first = {"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}
    assert [_sign_in(client, f"nobody{i}", "x", **first) for i in range(4)] == [401] * 3 + [429]
    # Another citizen behind the same proxy is not held back by the first one's failures.
    assert _sign_in(client, "nobody9", "x", **{"X-Forwarded-For": "198.51.100.2"}) == 401


def test_a_success_starts_the_count_again(directory: UserDirectory) -> None:
    client = TestClient(_app(directory))
    assert [_sign_in(client, "agent2", f"guess{i}") for i in range(4)] == [401] * 4
    assert _sign_in(client, "agent2", "agent2") == 200
    assert [_sign_in(client, "agent2", f"again{i}") for i in range(5)] == [401] * 5
    assert _sign_in(client, "agent2", "agent2") == 429


def test_sign_out_revokes_the_token_even_once_verified(directory: UserDirectory) -> None:
    client = TestClient(_app(directory))
    form = {"username": "leader", "password": "leader"}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    other = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200  # now cached
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    refused = client.get("/api/v1/auth/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("auth.invalid_token")
    # Another session of the same account is untouched; signing out twice is harmless.
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other}"}).is_success
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204


def test_tokens_name_their_session_and_themselves() -> None:
    tokens = TokenService(SECRET, 30)
    principal = Principal("agent1", "王芳", Role.agent)
    first, second = tokens.read(tokens.issue(principal)), tokens.read(tokens.issue(principal))
    assert first.session_id != second.session_id
    assert first.principal == principal
    assert abs(first.expires_at - (datetime.now(UTC) + timedelta(minutes=30))).total_seconds() < 5


def test_the_documented_defaults_are_the_policy_tested_here() -> None:
    context = AuthContext.from_settings(Settings())
    assert context.guard.policy == ThrottlePolicy() == POLICY
    assert context.proxies == ()
