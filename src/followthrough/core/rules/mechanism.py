"""What failed, how, and on what: one postmortem's failure mechanism as a small signature,
and the comparison of two (repeat incidents, PM602).

A reader who links two postmortems that are worded differently ("Unhealthy node", then
"Prometheus is down with connection refused errors", then "Two nodes were down") compares:

- **the mechanism**: which resource was exhausted ("high memory usage", "no resource
  requests or limits", "heavy resource consumers", "OOM"): a resource word near a word of
  pressure, in one clause;
- **the component that went down**: the words just before or after a word of a down state
  ("node being in NotReady state", "nodes were down", "unhealthy node");
- **what consumed it**: a name both postmortems give in their clauses about the exhaustion
  and name more than once ("Prometheus"), or else
- **the earlier remedy missed**: the later postmortem's causes or lessons say what an
  earlier action item proposed ("dedicated nodes" asked for, then "not running on a
  dedicated node group").

The same symptom from another mechanism (nodes NotReady from a bad machine image, metrics
missing because a key was revoked after they were missing because an endpoint was slow) has
no exhausted resource in common or nothing consumed it in common, and is not linked.

:func:`mechanism_of` reads one document alone (a folder check can compute it in parallel or
keep it); :func:`same_mechanism` compares two. Words go through the one normalisation of
:func:`followthrough.core.similarity.normal_word` (``core/word_forms.toml``); the word lists
below are general English of incident reports, never one team's vocabulary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from followthrough.core.document import Document, SectionKind
from followthrough.core.regex import lazy
from followthrough.core.similarity import normal_word

#: what can be exhausted, by what a reader calls it; "resources" is any of memory and CPU
RESOURCES: dict[str, tuple[str, ...]] = {
    "memory": ("memory", "ram", "heap", "swap", "oom", "oomkilled"),
    "CPU": ("cpu", "cpus", "processor"),
    "resources": ("resource", "resources"),
    "disk space": ("disk", "disks", "storage", "inode", "inodes"),
    "sockets": ("socket", "sockets", "bandwidth", "conntrack"),
    "IP addresses": ("ip", "ips"),
    "connections": ("connection", "connections"),
    "file handles": ("descriptor", "descriptors", "inotify"),
}
#: the classes "resources" stands for
_COMPUTE = frozenset({"memory", "CPU", "resources"})
#: words that, near a resource, say it was under pressure
PRESSURE = (
    *("usage", "utilisation", "utilization", "high", "heavy"),
    *("consume", "consumer", "consumers", "consumption", "exhausted", "exhaustion"),
    *("starvation", "starved", "leak", "leaking", "limit", "limits", "pressure", "spike"),
    *("spikes", "full", "hog", "hogging"),
)
#: a resource word that says the pressure too ("System OOM"); "out of" before one says it
#: too ("ran out of memory")
_SELF_EVIDENT = frozenset({"oom", "oomkilled"})
#: words of a down state: the component just before or after went down
DOWN = (
    *("down", "outage", "unavailable", "unreachable", "unhealthy", "unresponsive"),
    *("notready", "crash", "crashed", "crashing", "crashlooping", "instability"),
    *("unstable", "offline", "dead", "hung", "crashloopbackoff"),
)
#: "down" after these is no outage ("slowed down", "scaled down", "narrowed it down")
NOT_DOWN_AFTER = ("slow", "scale", "narrow", "track", "write", "turn", "cool", "step", "wind")
#: words that tell no component, workload or remedy apart
GENERIC = (
    *("state", "become", "became", "go", "went", "enter", "entered", "entering", "cause"),
    *("caused", "causing", "make", "making", "start", "started", "seem", "whole", "one"),
    *("two", "three", "several", "many", "few", "all", "still", "later", "eventually"),
    *("briefly", "occasionally", "report", "reported", "reporting", "saw", "see", "seen"),
    *("issue", "issues", "problem", "problems", "incident", "error", "errors", "likely"),
    *("future", "time", "amount", "lot", "due", "also", "able", "unable", "particular"),
    *("system", "service", "services", "production", "new", "get", "got", "set", "same"),
    *("per", "every", "each", "more", "less", "after", "before", "during", "when"),
    *("bring", "brought", "take", "took", "keep", "kept", "put", "let"),
    # what an action item asks for, not what it is about
    *("add", "assess", "check", "consider", "create", "ensure", "implement", "improve"),
    *("investigate", "look", "move", "review", "missed", "missing"),
)
#: kinds of thing a workload runs as: they say where, not which workload consumed a resource
#: ("the Prometheus pod", "a dev container"), so they never name a consumer
KINDS_OF_COMPONENT = (
    *("pod", "pods", "container", "containers", "process", "processes", "instance"),
    *("instances", "host", "hosts", "server", "servers", "machine", "machines", "node"),
    *("nodes", "cluster", "clusters", "job", "jobs", "task", "tasks", "worker", "workers"),
    *("application", "applications", "app", "apps", "workload", "workloads"),
)
#: a victim is this many tokens before a down word, or this many after it
_BEFORE = 3
_AFTER = 1
#: a resource and its pressure word are at most this many tokens apart
_REACH = 4
#: sections a mechanism is told in (never the timeline, which tells events as they came)
_TOLD_IN = (
    SectionKind.SUMMARY,
    SectionKind.ROOT_CAUSE,
    SectionKind.TRIGGER,
    SectionKind.WHYS,
    SectionKind.CONTRIBUTING_FACTORS,
    SectionKind.LESSONS,
)
#: how many earlier postmortems sharing a look-up key are compared, most recent first
_LOOK_BACK = 200
_SEPARATORS = ".;:!?\n"
_TOKEN = lazy(r"[a-z0-9]+")
_NOT_ASCII = lazy(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class Mechanism:
    """One postmortem's failure mechanism, from that document alone.

    ``resources``: the classes of :data:`RESOURCES` it says were exhausted; ``victims``:
    normal words of what went down; ``consumers``: normal words of its clauses about the
    exhaustion that it names more than once, each with the word as written; ``causes``:
    adjacent normal word pairs of the clauses of its title, summary, causes and lessons
    that tell the exhaustion or name what went down; ``remedies``: those of its action
    items about the resource or the component that are not among its causes (what the
    item proposes), each with the item's text."""

    resources: frozenset[str] = frozenset()
    victims: frozenset[str] = frozenset()
    #: each victim word as the document writes it (for a reason a reader understands)
    written: tuple[tuple[str, str], ...] = ()
    consumers: tuple[tuple[str, str], ...] = ()
    causes: frozenset[tuple[str, str]] = frozenset()
    remedies: tuple[tuple[tuple[str, str], str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.resources and self.victims)

    def keys(self) -> Iterator[tuple[str, str]]:
        """(resource family, victim) pairs: a look-up key for earlier postmortems that
        may share this mechanism ("resources" files under memory and CPU too)."""
        for resource in self.resources:
            families = _COMPUTE if resource == "resources" else {resource}
            for family in families:
                for victim in self.victims:
                    yield family, victim


_NOTHING = Mechanism()


@cache
def _not_down_before() -> frozenset[str]:
    return frozenset(w for word in NOT_DOWN_AFTER for w in normal_word(word))


@cache
def _tables() -> tuple[
    dict[str, str], frozenset[str], frozenset[str], frozenset[str], frozenset[str]
]:
    """Normal word -> resource class; normal words of pressure, down and generic words, and
    the words a consumer cannot be (made at the first folder check: the word table loads
    then)."""

    def normal(words: Iterable[str]) -> frozenset[str]:
        return frozenset(w for word in words for w in normal_word(word))

    resources = {w: name for name, words in RESOURCES.items() for w in normal(words)}
    pressure, down, generic = normal(PRESSURE), normal(DOWN), normal(GENERIC)
    not_consumers = pressure | down | generic | normal(KINDS_OF_COMPONENT) | resources.keys()
    return resources, pressure, down, generic, frozenset(not_consumers)


def _told(doc: Document) -> list[str]:
    """The lower-case texts a mechanism is read in: title, failure mode line, the sections
    that tell the failure and its causes."""
    texts = [t.lower() for t in (doc.title, doc.failure_mode) if t]
    texts.extend(s.body.lower() for s in doc.sections if s.kind in _TOLD_IN and s.body)
    return texts


#: the resource words as written, to skip quickly a document that names none
_RESOURCE_WORDS = frozenset(word.encode() for words in RESOURCES.values() for word in words)
_DOWN_WORDS = frozenset(word.encode() for word in DOWN)
#: a resource or a down word as written: where a clause is worth reading
_KEY_WORDS = _RESOURCE_WORDS | _DOWN_WORDS
#: every byte that is not a letter or digit becomes a space
_SPACES = bytes.maketrans(
    bytes(range(128)).translate(None, b"abcdefghijklmnopqrstuvwxyz0123456789"),
    b" " * (128 - 36),
)


def _clause_at(text: str, at: int) -> tuple[int, int]:
    """The clause of ``text`` around position ``at``: between the nearest separators."""
    start = max(text.rfind(sep, 0, at) for sep in _SEPARATORS) + 1
    ends = [e for e in (text.find(sep, at) for sep in _SEPARATORS) if e >= 0]
    return start, min(ends, default=len(text))


def _found(text: str, word: str) -> Iterator[int]:
    """Where ``word`` stands as a whole word in lower-case ASCII ``text``."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not text[at - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            yield at
        at = text.find(word, end)


def _words(clause: str) -> list[tuple[str, str]]:
    """A clause as its (token, normal word) pairs; a stop word keeps its place with ""; a
    token with several normal words (an abbreviation written out) gives each."""
    return [(t, w) for t in _TOKEN.findall(clause) for w in normal_word(t) or ("",)]


def _ascii(text: str) -> str:
    """``text`` with every non-ASCII character a space (a curly apostrophe, an accent):
    the byte split and the clause separators read ASCII."""
    return text if text.isascii() else _NOT_ASCII.sub(" ", text)


def mechanism_of(doc: Document) -> Mechanism:
    """The mechanism ``doc`` tells, or an empty one when it names no exhausted resource
    or nothing that went down.

    A folder check reads ten thousand of these, so little is tokenised: the key words a
    document has come from one byte split; then only the clauses with a down word are read
    (most documents stop there), then those with a resource word, those that name what went
    down, and the action items that name it or a resource."""
    told = _ascii("\n".join(_told(doc)))
    written = {_ascii(item.text.lower()): item.text for item in doc.action_items}
    actions = list(written)
    everything = "\n".join((told, *actions))
    present = _KEY_WORDS.intersection(everything.encode().translate(_SPACES).split())
    if _RESOURCE_WORDS.isdisjoint(present) or _DOWN_WORDS.isdisjoint(present):
        return _NOTHING
    resource_of, pressure, down, generic, not_consumers = _tables()
    read: dict[tuple[int, int], list[tuple[str, str]]] = {}

    def clauses(words: Iterable[bytes]) -> list[list[tuple[str, str]]]:
        spans = {_clause_at(told, at) for w in words for at in _found(told, w.decode())}
        return [
            read[span] if span in read else read.setdefault(span, _words(told[slice(*span)]))
            for span in sorted(spans)
        ]

    keys = [w.decode() for w in present]
    items = [(text, _words(text)) for text in actions if any(w in text for w in keys)]
    victims: dict[str, str] = {}
    for words in (*clauses(present & _DOWN_WORDS), *(w for _, w in items)):
        for i, (_, word) in enumerate(words):
            if word in down and not (i and words[i - 1][1] in _not_down_before()):
                for near_token, near in (
                    *words[max(0, i - _BEFORE) : i],
                    *words[i + 1 : i + 1 + _AFTER],
                ):
                    if (
                        near
                        and near not in down
                        and near not in generic
                        and near not in resource_of
                        and near not in pressure  # "usage down" is no component
                    ):
                        victims.setdefault(near, near_token)
    if not victims:
        return _NOTHING
    resources: set[str] = set()
    about: list[list[tuple[str, str]]] = []  # the clauses about the exhaustion
    for words in (*clauses(present & _RESOURCE_WORDS), *(w for _, w in items)):
        exhausted = False
        for i, (token, word) in enumerate(words):
            name = resource_of.get(word)
            if name is not None and (
                token in _SELF_EVIDENT
                or (i >= 2 and words[i - 2][0] == "out" and words[i - 1][0] == "of")
                or any(w in pressure for _, w in words[max(0, i - _REACH) : i + _REACH + 1])
            ):
                resources.add(name)
                exhausted = True
        if exhausted:
            about.append(words)
    if not resources:
        return _NOTHING
    consumers: dict[str, str] = {}
    for words in about:
        for token, word in words:
            if (
                len(word) >= 3
                and word not in not_consumers
                and word not in consumers
                and everything.count(token) >= 2
            ):
                consumers[word] = token
    # the causes: the clauses read, and those that name what went down (a stem is mostly
    # the start of every form, "node" of "nodes"; the token as written is one form)
    named = {*victims, *victims.values()}
    for token in named:
        at = told.find(token)
        while at >= 0:
            span = _clause_at(told, at)
            if span not in read:
                read[span] = _words(told[slice(*span)])
            at = told.find(token, span[1] + 1)
    causes = frozenset(pair for words in read.values() for pair in _pairs(words, generic))
    # what an action item about the resource or the component proposes: its words that the
    # document did not use to tell the failure ("dedicated nodes"), not the component's
    # name ("Kubernetes nodes")
    items += [
        (text, _words(text))
        for text in actions
        if not any(w in text for w in keys) and any(token in text for token in named)
    ]
    remedies = tuple(
        (pair, written[text])
        for text, words in items
        for pair in _pairs(words, generic)
        if pair not in causes
    )
    return Mechanism(
        frozenset(resources),
        frozenset(victims),
        tuple(victims.items()),
        tuple(consumers.items()),
        causes,
        remedies,
    )


def _pairs(words: list[tuple[str, str]], generic: frozenset[str]) -> Iterator[tuple[str, str]]:
    """Adjacent telling normal words of a clause."""
    kept = [w for _, w in words if w and w not in generic]
    return zip(kept, kept[1:], strict=False)


def _compatible(a: frozenset[str], b: frozenset[str]) -> list[str]:
    """The resource classes two mechanisms share ("resources" meets memory and CPU)."""
    out = sorted(a & b)
    if not out and ("resources" in a or "resources" in b):
        out = sorted((a | b) & _COMPUTE - {"resources"})
        if not (a & _COMPUTE and b & _COMPUTE):
            out = []
    return out


def same_mechanism(
    later: Mechanism,
    earlier: Mechanism,
    common: frozenset[str] | set[str] = frozenset(),
    common_pairs: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
) -> tuple[float, str]:
    """(score, reason) when ``later`` tells the failure ``earlier`` told: a resource of the
    same class exhausted, the same component down, and the same consumer named (score
    0.8) or an earlier action item's words among the later causes (0.6); (0.0, "")
    otherwise. ``common`` words and ``common_pairs`` (a folder's boilerplate) count for
    nothing."""
    if later.is_empty or earlier.is_empty:
        return 0.0, ""
    resources = _compatible(later.resources, earlier.resources)
    victims = later.victims & earlier.victims
    if not resources or not victims:
        return 0.0, ""
    resource = " or ".join(resources)
    victim = " ".join(token for word, token in later.written if word in victims)
    theirs = {word for word, _ in earlier.consumers}
    shared = [
        token
        for word, token in later.consumers
        if word in theirs and word not in common and word not in victims
    ]
    if shared:
        return 0.8, f"same failure: {' '.join(shared)} exhausting {resource}, {victim} down"
    for pair, text in earlier.remedies:
        if pair in later.causes and pair not in common_pairs:
            return 0.6, (
                f"same failure: {resource} exhausted, {victim} down; its causes name what"
                f" the earlier action item {text!r} asked for"
            )
    return 0.0, ""


def by_mechanism(
    ordered: Sequence[tuple[int, Mechanism]],
    common: frozenset[str] | set[str],
    cap: int,
    skip: frozenset[int] | set[int] = frozenset(),
) -> dict[int, list[tuple[int, float, str]]]:
    """Repeats found by mechanism in a folder: for each postmortem (``ordered`` earliest
    first, by its key) the earlier ones whose mechanism it tells again (:func:`same_mechanism`),
    as (earlier key, score, reason), best and then most recent first, at most three. Word
    pairs in more than ``cap`` postmortems are boilerplate; postmortems in ``skip`` are not
    reported.

    Earlier postmortems are looked up by (resource, component, consumer) and by (resource,
    component, proposed word pair), so only those that can match are compared, most recent
    first, and the look-up stops at three."""
    told = [(d, m) for d, m in ordered if not m.is_empty]
    if len(told) < 2:
        return {}
    pair_df: Counter[tuple[str, str]] = Counter()
    for _, m in told:
        pair_df.update(m.causes | {pair for pair, _ in m.remedies})
    common_pairs = {pair for pair, n in pair_df.items() if n > cap}
    rank = {d: n for n, (d, _) in enumerate(told)}
    mechanisms = dict(told)
    by_consumer: dict[tuple[str, str, str], list[int]] = {}
    by_remedy: dict[tuple[str, str, tuple[str, str]], list[int]] = {}
    found: dict[int, list[tuple[int, float, str]]] = {}
    for d, later in told:
        keys = set(later.keys())
        consumers = [w for w, _ in later.consumers if w not in common]
        if d not in skip:
            hits: list[tuple[int, float, str]] = []
            for lists in (
                [by_consumer.get((*key, w), ()) for key in keys for w in consumers],
                [by_remedy.get((*key, pair), ()) for key in keys for pair in later.causes],
            ):
                seen = {e for e, _, _ in hits}
                for e in sorted(
                    {e for found_in in lists for e in found_in[-_LOOK_BACK:]} - seen,
                    key=rank.__getitem__,
                    reverse=True,
                ):
                    score, reason = same_mechanism(later, mechanisms[e], common, common_pairs)
                    if reason:
                        hits.append((e, score, reason))
                        if len(hits) == 3:
                            break
                if len(hits) == 3:
                    break
            if hits:
                hits.sort(key=lambda h: (-h[1], -rank[h[0]]))
                found[d] = hits
        for key in keys:
            for w in consumers:
                by_consumer.setdefault((*key, w), []).append(d)
            for pair, _ in later.remedies:
                if pair not in common_pairs:
                    by_remedy.setdefault((*key, pair), []).append(d)
    return found
