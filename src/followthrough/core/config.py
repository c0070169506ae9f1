"""Linter configuration: which rules run, how loud they are, and the team's own words.

Read from ``[tool.followthrough.lint]`` in ``pyproject.toml`` or ``[lint]`` in
``.followthrough.toml``, found by searching upward from the linted folder. Every key and
every rule reference is checked: an unknown key or rule name becomes a warning, an invalid
value a :class:`ConfigError`. Silent misconfiguration is a bug.

```toml
[tool.followthrough.lint]
select = ["blame", "PM2"]          # codes, code prefixes, names or categories; default: all
ignore = ["process.no-done-condition"]
severity = { "PM204" = "error", "timeline_analysis" = "info" }
fail_on = "warning"                # error | warning | info
team_names = ["payments-core", "Rocket"]
extra_vague_words = ["tidy up"]
extra_unverifiable_phrases = ["brainstorm"]
extra_blame_phrases = ["butterfingers"]
required_sections = ["summary", "impact", "timeline", "root_cause", "action_items"]
min_whys = 3
copy_paste_threshold = 0.8
copy_paste_min_words = 6
repeat_incident_threshold = 0.5
corpus = true
```
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from followthrough.core.document import SectionKind
from followthrough.core.rules.base import CATEGORIES, Severity

if TYPE_CHECKING:
    from followthrough.core.rules.base import CorpusRule, Rule
    from followthrough.core.rules.wordlists import Phrases


class ConfigError(Exception):
    """An invalid configuration value; the message names the file, key and value."""


DEFAULT_REQUIRED_SECTIONS: tuple[SectionKind, ...] = (
    SectionKind.SUMMARY,
    SectionKind.IMPACT,
    SectionKind.TIMELINE,
    SectionKind.ROOT_CAUSE,
    SectionKind.ACTION_ITEMS,
)


@dataclass
class LintConfig:
    """The linter's configuration: the rules chosen, their severities, the fail threshold,
    the team's own words and the folder checks' thresholds (see the module's docstring)."""

    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # code, name or category
    fail_on: Severity = Severity.WARNING
    team_names: tuple[str, ...] = ()
    extra_vague_words: tuple[str, ...] = ()
    extra_unverifiable_phrases: tuple[str, ...] = ()
    extra_blame_phrases: tuple[str, ...] = ()
    required_sections: tuple[SectionKind, ...] = DEFAULT_REQUIRED_SECTIONS
    min_whys: int = 3
    copy_paste_threshold: float = 0.8
    copy_paste_min_words: int = 6
    repeat_incident_threshold: float = 0.5
    corpus: bool = True

    def is_enabled(self, rule: Rule | CorpusRule) -> bool:
        if self.select and not any(refers_to(ref, rule) for ref in self.select):
            return False
        return not any(refers_to(ref, rule) for ref in self.ignore)

    def severity_for(self, rule: Rule | CorpusRule) -> Severity:
        """The most specific override wins: code, then name, then category."""
        for key in (rule.code, rule.name, rule.category):
            if key in self.severity:
                return self.severity[key]
        return rule.severity

    def fails(self, severity: Severity) -> bool:
        return severity.rank >= self.fail_on.rank

    def vague_pattern(self) -> re.Pattern[str]:
        return _compiled("VAGUE_ACTIONS", self.extra_vague_words)

    def unverifiable_pattern(self) -> re.Pattern[str]:
        return _compiled("UNVERIFIABLE_ACTIONS", self.extra_unverifiable_phrases)

    def vague_phrases(self) -> Phrases:
        """``VAGUE_ACTIONS`` and ``extra_vague_words``, compiled for word-set scanning."""
        return _phrases("VAGUE_ACTIONS", self.extra_vague_words)

    def unverifiable_phrases(self) -> Phrases:
        return _phrases("UNVERIFIABLE_ACTIONS", self.extra_unverifiable_phrases)

    def blame_phrases(self) -> Phrases:
        return _phrases("BLAME_PHRASES", self.extra_blame_phrases)

    def team_pattern(self) -> re.Pattern[str]:
        return _compiled("TEAM_OWNERS", self.team_names)


def refers_to(ref: str, rule: Rule | CorpusRule) -> bool:
    """Whether ``ref`` (a code, a code prefix like ``PM2``, a name, a name family like
    ``blame``, a category, or ``all``) designates ``rule``."""
    ref_l = ref.strip().lower()
    code = rule.code.lower()
    name = rule.name.lower()
    return (
        ref_l in ("all", code, name, rule.category)
        or (ref_l.startswith("pm") and len(ref_l) >= 3 and code.startswith(ref_l))
        or name.startswith(ref_l + ".")
    )


@functools.lru_cache(maxsize=64)
def _phrases(table: str, extra: tuple[str, ...]) -> Phrases:
    from followthrough.core.rules import wordlists

    base: tuple[str, ...] = getattr(wordlists, table)
    return wordlists.Phrases(base + extra)


@functools.lru_cache(maxsize=64)
def _compiled(table: str, extra: tuple[str, ...]) -> re.Pattern[str]:
    from followthrough.core.rules import wordlists

    base: tuple[str, ...] = getattr(wordlists, table)
    return wordlists.compile_phrases(base + extra)


# --- loading ------------------------------------------------------------------------------

_CONFIG_FILES = (".followthrough.toml", "pyproject.toml")


def _lint_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("followthrough", {}) if isinstance(tool, dict) else {}
        table = section.get("lint") if isinstance(section, dict) else None
        where = "[tool.followthrough.lint]"
    else:
        table = data.get("lint")
        if table is None and data.get("tool", {}).get("followthrough", {}).get("lint"):
            table = data["tool"]["followthrough"]["lint"]
        where = "[lint]"
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return table


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read: a one-file lint in a folder without one

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest file, upward from ``start``, that holds a lint table."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for name in _CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file():
                table = _lint_table(candidate, _read_toml(candidate))
                if table is not None:
                    return candidate, table
    return None


def load_config(
    start: Path | None = None, explicit: Path | None = None
) -> tuple[LintConfig, list[str]]:
    """The configuration in force and the warnings found while reading it."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        table = _lint_table(explicit, _read_toml(explicit))
        if table is None:
            table = {}
        return config_from_table(table, source=str(explicit))
    found = find_config(start)
    if found is None:
        return LintConfig(), []
    path, table = found
    return config_from_table(table, source=str(path))


def _str_list(source: str, key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _severity(source: str, key: str, value: object) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(
            f"{source}: {key} = {value!r} is not a severity (error, warning, info)"
        ) from None


def _fraction(source: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"{source}: {key} must be a number in (0, 1], got {value!r}")
    return float(value)


def _positive_int(source: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: {key} must be a positive integer, got {value!r}")
    return value


def unknown_rule_refs(refs: Iterable[str]) -> list[str]:
    """References that name no rule, code prefix or category."""
    from followthrough.core.rules import REGISTRY

    return [
        ref
        for ref in refs
        if not any(refers_to(ref, rule) for rule in REGISTRY) and ref.lower() != "all"
    ]


_ALIASES = {"enable": "select", "disable": "ignore", "fail_threshold": "fail_on"}


def config_from_table(
    table: dict[str, Any], source: str = "<config>"
) -> tuple[LintConfig, list[str]]:
    """Validate one lint table; unknown keys and rule names are warnings, bad values errors."""
    config = LintConfig()
    warnings: list[str] = []
    for raw_key, value in table.items():
        key = _ALIASES.get(raw_key, raw_key)
        if key in ("select", "ignore"):
            refs = _str_list(source, raw_key, value)
            setattr(config, key, refs)
            for ref in unknown_rule_refs(refs):
                warnings.append(f"{source}: {raw_key}: unknown rule {ref!r}")
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: severity must be a table of rule = level")
            for ref, level in value.items():
                config.severity[ref] = _severity(source, f"severity.{ref}", level)
                for bad in unknown_rule_refs([ref]):
                    warnings.append(f"{source}: severity: unknown rule {bad!r}")
        elif key == "fail_on":
            config.fail_on = _severity(source, raw_key, value)
        elif key in (
            "team_names",
            "extra_vague_words",
            "extra_unverifiable_phrases",
            "extra_blame_phrases",
        ):
            setattr(config, key, _str_list(source, raw_key, value))
        elif key == "required_sections":
            kinds: list[SectionKind] = []
            for name in _str_list(source, raw_key, value):
                try:
                    kinds.append(SectionKind(name.lower()))
                except ValueError:
                    valid = ", ".join(k.value for k in SectionKind)
                    raise ConfigError(
                        f"{source}: required_sections: {name!r} is not a section ({valid})"
                    ) from None
            config.required_sections = tuple(kinds)
        elif key in ("copy_paste_threshold", "repeat_incident_threshold"):
            setattr(config, key, _fraction(source, raw_key, value))
        elif key in ("min_whys", "copy_paste_min_words"):
            setattr(config, key, _positive_int(source, raw_key, value))
        elif key == "corpus":
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: corpus must be true or false, got {value!r}")
            config.corpus = value
        else:
            warnings.append(f"{source}: unknown key {raw_key!r}")
    return config, warnings


def with_overrides(
    config: LintConfig,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    fail_on: Severity | None = None,
    corpus: bool | None = None,
) -> tuple[LintConfig, list[str]]:
    """Command-line options on top of a file: ``--select`` replaces, ``--ignore`` adds."""
    from dataclasses import replace

    warnings = [
        f"unknown rule {ref!r}" for ref in unknown_rule_refs([*(select or ()), *(ignore or ())])
    ]
    return (
        replace(
            config,
            select=tuple(select) if select else config.select,
            ignore=config.ignore + tuple(ignore or ()),
            fail_on=fail_on if fail_on is not None else config.fail_on,
            corpus=corpus if corpus is not None else config.corpus,
        ),
        warnings,
    )


__all__ = [
    "CATEGORIES",
    "ConfigError",
    "LintConfig",
    "config_from_table",
    "find_config",
    "load_config",
    "refers_to",
    "with_overrides",
]
