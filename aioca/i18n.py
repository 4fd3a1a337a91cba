"""The language of the texts aioca prints: task names and ``show_tasks()`` labels.

English is the default. The seed README's readers can switch to Chinese with
``aioca.set_language("zh")`` or the environment variable ``AIOCA_LANG=zh``, which makes
``show_tasks()`` print the seed's labels character for character. Plugins use
:func:`localize` so that their task names follow the same switch.
"""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["Language", "get_language", "localize", "set_language"]

Language = Literal["en", "zh"]
_LANGUAGES: tuple[Language, ...] = ("en", "zh")

_current: Language | None = None


def _normalize(language: str) -> Language:
    code = language.strip().lower().replace("_", "-").split("-")[0]
    for known in _LANGUAGES:
        if code == known:
            return known
    raise ValueError(f"unsupported language {language!r}: choose one of {', '.join(_LANGUAGES)}")


def set_language(language: str) -> None:
    """Choose the language of task names and labels: ``"en"`` or ``"zh"`` (``"zh-CN"`` works)."""
    global _current
    _current = _normalize(language)


def get_language() -> Language:
    """The language in force: the last :func:`set_language`, else ``AIOCA_LANG``, else English."""
    if _current is not None:
        return _current
    from_env = os.environ.get("AIOCA_LANG", "")
    try:
        return _normalize(from_env) if from_env else "en"
    except ValueError:
        return "en"


def localize(en: str, zh: str) -> str:
    """Return ``en`` or ``zh``, whichever matches the language in force."""
    return zh if get_language() == "zh" else en
