""" "Close my account": the hook through which apps above accounts let go of an account.

Apps above accounts (devices, billing, ...) hold rows that point at the user,
some with on_delete=PROTECT on purpose (a device must never vanish with its
owner). They register a hook here from their AppConfig.ready(); `account_close`
calls every hook inside its transaction, before the user row is deleted, so
a hook that raises leaves the account as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from plugline.accounts.models import User

# Apps above accounts may type their function's argument as AbstractBaseUser.
AccountClosingHook = Callable[[User], None]

_hooks: list[AccountClosingHook] = []


def register_account_closing_hook(hook: AccountClosingHook) -> None:
    """`hook(user)` releases or deletes what its app holds for `user`."""
    if hook not in _hooks:
        _hooks.append(hook)


def account_closing_hooks() -> list[AccountClosingHook]:
    return list(_hooks)
