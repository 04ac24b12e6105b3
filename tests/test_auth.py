import stat
import time

import pytest

from gapmap import auth


def test_roles_are_nested():
    assert auth.can("viewer", "view") and not auth.can("viewer", "import") and not auth.can("viewer", "exact")
    assert auth.can("editor", "import") and auth.can("editor", "edit") and auth.can("editor", "exact")
    assert not auth.can("editor", "users") and not auth.can("editor", "settings")
    assert all(auth.can("admin", a) for a in auth.ACTIONS)
    assert not auth.can(None, "view") and not auth.can("", "view") and not auth.can("superuser", "view")
    with pytest.raises(auth.AuthError, match="unknown action"):
        auth.can("admin", "launch")


def test_users_round_trip_private_file(tmp_path):
    home = tmp_path / "gapmap"
    users = auth.add_user({}, "alice", "admin", "a long enough password")
    users = auth.add_user(users, "bob.smith@council.gov.uk", "viewer", "another long password")
    path = auth.users_path(home)
    auth.write_users(path, users)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert "a long enough password" not in path.read_text()
    back = auth.read_users(path)
    assert back == users
    assert back["alice"].password_hash.startswith("$argon2id$")
    assert auth.verify(back, "alice", "a long enough password").role == "admin"
    # Changing a user's role keeps one entry; removing leaves the others.
    back = auth.add_user(back, "alice", "editor", "a new long password!")
    assert back["alice"].role == "editor" and len(back) == 2
    back = auth.remove_user(back, "alice")
    assert list(back) == ["bob.smith@council.gov.uk"]
    with pytest.raises(auth.AuthError, match="no user called"):
        auth.remove_user(back, "alice")


def test_wrong_password_and_unknown_user_look_the_same():
    users = auth.add_user({}, "alice", "viewer", "a long enough password")
    with pytest.raises(auth.SignInError) as wrong:
        auth.verify(users, "alice", "not the password")
    with pytest.raises(auth.SignInError) as unknown:
        auth.verify(users, "mallory", "a long enough password")
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"
    # An unknown name still costs an argon2 verification (no quick "no such user" answer).
    start = time.perf_counter()
    with pytest.raises(auth.SignInError):
        auth.verify(users, "mallory", "x")
    assert time.perf_counter() - start > 0.005


@pytest.mark.parametrize(
    ("name", "role", "password", "problem"),
    [
        ("alice", "viewer", "short", "at least 12"),
        ("alice", "owner", "a long enough password", "unknown role"),
        ('al"ice', "viewer", "a long enough password", "bad user name"),
        ("", "viewer", "a long enough password", "bad user name"),
        ("-rf", "viewer", "a long enough password", "bad user name"),
    ],
)
def test_bad_accounts_are_refused(name, role, password, problem):
    with pytest.raises(auth.AuthError, match=problem):
        auth.add_user({}, name, role, password)


def test_damaged_users_file(tmp_path):
    path = tmp_path / "users.toml"
    assert auth.read_users(path) == {}  # no file: no users (local mode)
    path.write_text("[users.alice\nrole = ", encoding="utf-8")
    with pytest.raises(auth.AuthError, match="cannot read the users file"):
        auth.read_users(path)
    path.write_text('[users.alice]\nrole = "viewer"\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="no password_hash"):
        auth.read_users(path)
    path.write_text('[users.alice]\nrole = "god"\npassword_hash = "x"\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="unknown role"):
        auth.read_users(path)


def test_home_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    assert auth.home_from_environment() == tmp_path
    monkeypatch.delenv("GAPMAP_HOME")
    assert auth.home_from_environment().parts[-3:] == (".local", "share", "gapmap")
