"""Accounts, tokens and the FastAPI guards of services.common.auth.

argon2 verification costs ~50 ms by design, so API tests mint tokens directly and only
the sign-in tests go through the password check.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from services.common import auth
from services.common.auth import (
    TOKEN_COOKIE,
    AuthContext,
    InvalidToken,
    Principal,
    Role,
    TokenService,
    UserDirectory,
    auth_router,
    require_roles,
)
from services.common.problems import install_problem_handlers
from services.common.settings import Settings

SECRET = "test-secret-that-is-long-enough-for-hs256"
DEMO_USERS = Path(auth.__file__).with_name("demo_users.toml")
DISPATCHER = Principal("dispatcher", "张伟", Role.dispatcher)
DispatcherOnly = Annotated[Principal, Depends(require_roles(Role.dispatcher))]


@pytest.fixture(scope="module")
def directory() -> UserDirectory:
    return UserDirectory.load(DEMO_USERS)


@pytest.fixture(scope="module")
def tokens() -> TokenService:
    return TokenService(SECRET, ttl_minutes=30)


@pytest.fixture(scope="module")
def app(directory: UserDirectory, tokens: TokenService) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.auth = AuthContext(directory, tokens)
    app.include_router(auth_router())

    @app.get("/api/v1/dispatch-only")
    async def dispatch_only(user: DispatcherOnly) -> dict[str, str]:
        return {"username": user.username}

    return app


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_settings_default_to_the_demo_file() -> None:
    assert Settings.model_fields["users_file"].default == DEMO_USERS


@pytest.mark.parametrize(
    ("username", "password", "role", "department"),
    [
        ("agent1", "agent1pass", Role.agent, None),
        ("dispatcher", "dispatcherpass", Role.dispatcher, None),
        ("chaoyang-jxs", "deptpass", Role.dept_staff, "D-JXS"),
        ("water", "deptpass", Role.dept_staff, "U-WATER"),
        ("admin", "adminpass", Role.admin, None),
    ],
)
def test_demo_accounts_sign_in(
    directory: UserDirectory, username: str, password: str, role: Role, department: str | None
) -> None:
    principal = directory.authenticate(username, password)
    assert principal is not None
    assert (principal.username, principal.role, principal.department) == (
        username,
        role,
        department,
    )


def test_wrong_password_and_unknown_user_are_refused(directory: UserDirectory) -> None:
    assert directory.authenticate("agent1", "agent2pass") is None
    assert directory.authenticate("nobody", "agent1pass") is None


@pytest.mark.parametrize(
    "entries",
    [
        [{"role": "dept_staff", "department": ""}],
        [{"role": "leader", "department": "D-JXS"}],
        [{"role": "agent"}, {"role": "agent"}],
    ],
    ids=["dept-staff-without-department", "leader-with-department", "duplicate-username"],
)
def test_bad_users_file_is_refused(tmp_path: Path, entries: list[dict[str, str]]) -> None:
    hash_ = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"
    blocks = [
        f'[[users]]\nusername = "u"\nname = "某人"\nrole = "{entry["role"]}"\n'
        f'department = "{entry.get("department", "")}"\npassword_hash = "{hash_}"\n'
        for entry in entries
    ]
    path = tmp_path / "users.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    with pytest.raises(ValueError, match=str(path)):
        UserDirectory.load(path)


def test_token_round_trip(tokens: TokenService) -> None:
    staff = Principal("water", "赵磊", Role.dept_staff, "U-WATER")
    token = tokens.issue(staff)
    assert tokens.verify(token) == staff
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="hotline")
    assert claims["exp"] - claims["iat"] == 30 * 60


def _forged_as_admin(token: str) -> str:
    """The same token with its role raised to admin and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode())
    return f"{header}.{forged.rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda t: t.issue(DISPATCHER, now=datetime.now(UTC) - timedelta(hours=1)),
        lambda t: _forged_as_admin(t.issue(DISPATCHER)),
        lambda t: TokenService("another-secret-that-is-also-long-enough", 30).issue(DISPATCHER),
        lambda t: "not-a-jwt",
    ],
    ids=["expired", "tampered", "foreign-secret", "garbage"],
)
def test_bad_tokens_are_rejected(
    tokens: TokenService, make_token: Callable[[TokenService], str]
) -> None:
    with pytest.raises(InvalidToken):
        tokens.verify(make_token(tokens))


def test_a_verified_token_is_refused_once_it_expires(tokens: TokenService) -> None:
    issued = datetime.now(UTC) - tokens.ttl + timedelta(seconds=1)
    token = tokens.issue(DISPATCHER, now=issued)
    assert tokens.verify(token) == DISPATCHER  # verified, and remembered
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.1)
    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenService("short", 30)


def test_sign_in_then_header_and_cookie_both_work(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/auth/token", data={"username": "dispatcher", "password": "dispatcherpass"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert (body["role"], body["department"], body["name"]) == ("dispatcher", None, "张伟")
    assert body["expires_in"] == 30 * 60
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}={body['access_token']};")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert TestClient(client.app).get("/api/v1/dispatch-only", headers=bearer).status_code == 200
    # `client` kept the cookie from the sign-in answer.
    assert client.get("/api/v1/dispatch-only").json() == {"username": "dispatcher"}

    assert client.post("/api/v1/auth/logout").status_code == 204
    assert TOKEN_COOKIE not in client.cookies
    assert client.get("/api/v1/dispatch-only").status_code == 401


def test_wrong_credentials_get_one_answer(client: TestClient) -> None:
    wrong_password = client.post(
        "/api/v1/auth/token", data={"username": "agent1", "password": "nope"}
    )
    unknown_user = client.post("/api/v1/auth/token", data={"username": "ghost", "password": "x"})
    for answer in (wrong_password, unknown_user):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["type"].endswith("auth.invalid_credentials")
    assert wrong_password.json()["detail"] == unknown_user.json()["detail"]
    assert TOKEN_COOKIE not in client.cookies


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "auth.missing_token"),
        ({"Authorization": "Bearer forged.token.here"}, "auth.invalid_token"),
    ],
)
def test_missing_or_bad_token_is_401(
    client: TestClient, headers: dict[str, str], code: str
) -> None:
    answer = client.get("/api/v1/dispatch-only", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["type"].endswith(code)


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        (Principal("agent1", "王芳", Role.agent), 403),
        (Principal("chaoyang-jxs", "刘洋", Role.dept_staff, "D-JXS"), 403),
        (Principal("admin", "周杰", Role.admin), 200),
    ],
    ids=["agent", "dept-staff", "admin"],
)
def test_roles_are_enforced_and_admin_passes(
    client: TestClient, tokens: TokenService, principal: Principal, status: int
) -> None:
    headers = {"Authorization": f"Bearer {tokens.issue(principal)}"}
    answer = client.get("/api/v1/dispatch-only", headers=headers)
    assert answer.status_code == status
    if status == 403:
        assert answer.json()["type"].endswith("auth.forbidden_role")
