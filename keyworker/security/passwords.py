"""Password rules and strength feedback (zxcvbn), shared by the setup window, the admin page and the CLI."""
from __future__ import annotations

from dataclasses import dataclass

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 2  # zxcvbn 0-4: 2 = "somewhat guessable" is the least we accept for special-category data


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    label: str
    problem: str | None  # why it is refused, or None if acceptable
    suggestions: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.problem is None


LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"]


def assess(password: str, user_inputs: list[str] | None = None) -> Strength:
    inputs = [u for u in (user_inputs or []) if u]
    if not password:
        return Strength(0, LABELS[0], f"Enter a password of at least {MIN_LENGTH} characters.", ())
    result = zxcvbn(password[:100], user_inputs=inputs)
    score = int(result["score"])
    fb = result.get("feedback") or {}
    suggestions = tuple(s for s in [fb.get("warning") or "", *fb.get("suggestions", [])] if s)
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"Use at least {MIN_LENGTH} characters ({len(password)} so far)."
    elif any(u and u.lower() in password.lower() for u in inputs if len(u) >= 3):
        problem = "The password must not contain your user name or your name."
    elif score < MIN_SCORE:
        problem = "This password is too easy to guess. Try a few unrelated words."
    return Strength(score, LABELS[score], problem, suggestions)
