"""Users (admins only): local sign-in accounts and roles."""

import pandas as pd
import streamlit as st

from gapmap import auth
from pages import _shared

_shared.ensure_router()
who = _shared.require("users")

st.title("Users")
method = _shared.signin_method()
if method == "oidc":
    st.info(
        "Sign-in is by single sign-on. Roles are set by e-mail address in `[gapmap.roles]` of "
        ".streamlit/secrets.toml (see the README, *Sign-in, roles and privacy*)."
    )
    st.stop()

home = auth.home_from_environment()
users = _shared.local_users()
st.dataframe(
    pd.DataFrame([{"user": u.name, "role": u.role} for u in sorted(users.values(), key=lambda u: u.name)]),
    hide_index=True,
    width="content",
)
st.caption("Viewer: maps and tables with privacy. Editor: also records and exact locations. Admin: also users.")

with st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user or change one")
    c1, c2 = st.columns(2)
    name = c1.text_input("User name")
    role = c2.selectbox("Role", auth.ROLES)
    p1, p2 = st.columns(2)
    first = p1.text_input(f"Password (at least {auth.MIN_PASSWORD} characters)", type="password")
    again = p2.text_input("Password again", type="password")
    if st.form_submit_button("Save user", type="primary"):
        try:
            if first != again:
                raise auth.AuthError("the two passwords differ")
            auth.save_users(home, auth.add_user(users, name.strip(), role, first))
        except auth.AuthError as exc:
            st.error(str(exc).capitalize() + ".")
        else:
            st.toast(f"{name.strip()} can sign in as {role}.")
            st.rerun()

others = sorted(n for n in users if n != who.user)
if others:
    st.subheader("Remove a user")
    r1, r2 = st.columns([2, 1])
    gone = r1.selectbox("User", others, key="remove_user")
    if r2.button("Remove", key="remove_button"):
        auth.save_users(home, auth.remove_user(users, gone))
        st.toast(f"{gone} removed; they are signed out at their next click.")
        st.rerun()
