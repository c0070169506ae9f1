"""The linter's vocabulary: every word list the rules match, as data a reviewer can read.

Each table is a tuple of phrases. A phrase is plain words; ``*`` in a phrase stands for "one
optional word" (``"be * careful"`` matches "be careful" and "be more careful"). The rules
never match these lists one phrase at a time: :func:`compile_phrases` folds a whole list
into one trie-shaped regular expression, so a document is scanned once per list however long
the list grows. Teams extend the lists from configuration (``extra_vague_words`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from followthrough.core.regex import kept, lazy, literal_matches
from followthrough.core.stopwords import STOPWORDS as SIMILARITY_STOPWORDS

# --- blame (seed: "We do not ask 'who screwed up?'") -------------------------------------

#: Blame and hindsight phrasing: wrong wherever it appears, whoever it is about.
BLAME_PHRASES: tuple[str, ...] = (
    "human error",
    "operator error",
    "user error",
    "engineer error",
    "pilot error",
    "careless",
    "carelessly",
    "carelessness",
    "negligent",
    "negligence",
    "negligently",
    "should have known",
    "should've known",
    "should have caught",
    "should've caught",
    "should have realised",
    "should have realized",
    "should have noticed",
    "should have been more careful",
    "ought to have known",
    "obviously",
    "failed to notice",
    "didn't bother",
    "did not bother",
    "couldn't be bothered",
    "lack of attention",
    "lack of care",
    "not paying attention",
    "wasn't paying attention",
    "was not paying attention",
    "inattentive",
    "inattention",
    "incompetent",
    "incompetence",
    "sloppy",
    "sloppiness",
    "laziness",
    "reckless",
    "recklessly",
    "stupid",
    "dumb mistake",
    "silly mistake",
    "rookie mistake",
    "dropped the ball",
    "screwed up",
    "messed up",
    "fat-fingered",
    "fat fingered",
    "who screwed up",
    "his fault",
    "her fault",
    "their fault",
    "is to blame",
    "was to blame",
    "are to blame",
    "were to blame",
    "was a mistake",
    "should have been obvious",
    "in hindsight",
    "with hindsight",
    "could have seen this coming",
    "anyone could have seen",
    "should have happened",
    "where it went wrong",
    "far too late",
    "pay more attention",
    "paid more attention",
)

#: Subjects that make a hindsight phrase about a system, not a person ("the CI should have
#: caught this" is a tooling gap, which is exactly what we want people to write).
SYSTEM_SUBJECTS: tuple[str, ...] = (
    "alert",
    "alerts",
    "alerting",
    "monitoring",
    "monitor",
    "test",
    "tests",
    "testing",
    "test suite",
    "ci",
    "pipeline",
    "linter",
    "lint",
    "check",
    "checks",
    "canary",
    "validation",
    "review",
    "code review",
    "staging",
    "tooling",
    "automation",
    "process",
    "checklist",
    "gate",
    "safeguard",
    "system",
    "dashboard",
)

#: Verbs that only people do: with a person as subject they assign fault.
HUMAN_FAILURE_VERBS: tuple[str, ...] = (
    "forgot",
    "forgot to",
    "forgets",
    "neglected",
    "neglected to",
    "ignored",
    "ignores",
    "overlooked",
    "carelessly",
    "mistakenly",
    "wrongly",
    "negligently",
    "screwed up",
    "messed up",
    "fat-fingered",
    "fat fingered",
    "didn't bother",
    "did not bother",
    "didn't follow",
    "did not follow",
    "didn't check",
    "did not check",
    "didn't test",
    "did not test",
    "didn't read",
    "did not read",
    "didn't notice",
    "did not notice",
    "should have",
    "should've",
    "was careless",
    "was negligent",
    "was sloppy",
    "made a mistake",
    "made an error",
    "blundered",
    "botched",
    "skipped",
    "failed to follow",
    "failed to check",
    "failed to test",
    "failed to notice",
    "failed to read",
    "failed to review",
    "failed to escalate",
    "failed to communicate",
    "failed to verify",
    "failed to update",
    "failed to run",
    "failed to respond",
    "failed to act",
    "made a typo",
    "pay more attention",
    "be more careful",
    "double-check",
    "double check",
    "finally",
    "had muted",
    "muted the alert",
    "forget to",
    "misjudged",
    "misread",
)

#: Verbs that assign fault when a named person, a handle or a role is their subject
#: ("Bob broke prod"), and are neutral with a system subject ("the deploy failed to roll back").
FAILURE_VERBS: tuple[str, ...] = (
    "broke",
    "breaks",
    "caused",
    "failed to",
    "missed",
    "took down",
    "brought down",
    "knocked over",
    "knocked out",
    "accidentally",
    "was responsible for",
    "is responsible for",
    "let",
)

#: Phrases that blame whoever the clause is about ("Dave pushed the config without
#: checking"): flagged when a person, handle or role is the clause's subject.
WITHOUT_PHRASES: tuple[str, ...] = (
    "without checking",
    "without double-checking",
    "without testing",
    "without telling anyone",
    "without telling anybody",
    "without asking",
    "without reviewing",
    "without reading",
    "without thinking",
    "without looking",
    "without a second thought",
)

#: Exhortations at the start of an action item ("Lukas to pay more attention", "Ensure
#: invoices are correct", "Tell people to ..."): a wish, not a change to the system.
EXHORTATIONS: tuple[str, ...] = (
    "ensure",
    "make sure",
    "tell",
    "tell people",
    "tell everyone",
    "ask",
    "ask people",
    "remind",
    "double-check",
    "double check",
    "be careful",
    "be more careful",
    "pay attention",
    "pay more attention",
    "keep an eye on",
    "continue to",
    "try to",
    "always",
    "never",
    "don't",
    "do not",
)

#: Roles that stand for a person ("the on-call engineer failed to ...").
PERSON_ROLES: tuple[str, ...] = (
    "the on-call",
    "the oncall",
    "the on call",
    "the on-call engineer",
    "the oncall engineer",
    "the on-call person",
    "the engineer",
    "an engineer",
    "the developer",
    "a developer",
    "the dev",
    "the intern",
    "an intern",
    "the new hire",
    "a new hire",
    "the new engineer",
    "the junior engineer",
    "a junior engineer",
    "the junior developer",
    "the junior",
    "the contractor",
    "the operator",
    "the admin",
    "the sysadmin",
    "the dba",
    "the release manager",
    "the deployer",
    "the reviewer",
    "the author",
    "the committer",
    "the incident commander",
    "the employee",
    "the team member",
    "ops guy",
    "the ops guy",
    "the ops person",
    "the guy",
    "someone",
    "somebody",
    "he",
    "she",
    "the new guy",
    "new guy",
    "the new person",
    "the new girl",
    "the junior dev",
    "the on-call dev",
)

#: Given names that count as a person when capitalised. Ambiguous English words
#: (Will, May, Mark, Max, Ruby, Julia, Grant, Chase ...) are deliberately left out;
#: names the document itself uses (owners, @handles, attendees) are added per document.
FIRST_NAMES: tuple[str, ...] = tuple(
    [
        "Aaron",
        "Abby",
        "Abdul",
        "Adam",
        "Adrian",
        "Ahmed",
        "Aisha",
        "Alan",
        "Albert",
        "Alex",
        "Alexander",
        "Alexandra",
        "Alexei",
        "Alice",
        "Alicia",
        "Alison",
        "Amanda",
        "Amber",
        "Amir",
        "Amit",
        "Amy",
        "Ana",
        "Andrea",
        "Andreas",
        "Andrew",
        "Andy",
        "Angela",
        "Anil",
        "Anita",
        "Ann",
        "Anna",
        "Anne",
        "Anthony",
        "Anton",
        "Arjun",
        "Arthur",
        "Ashley",
        "Barbara",
        "Ben",
        "Benjamin",
        "Beth",
        "Betty",
        "Bob",
        "Bobby",
        "Brad",
        "Bradley",
        "Brandon",
        "Brenda",
        "Brian",
        "Bruce",
        "Bryan",
        "Carl",
        "Carla",
        "Carlos",
        "Carol",
        "Caroline",
        "Catherine",
        "Charles",
        "Charlie",
        "Chen",
        "Chris",
        "Christian",
        "Christina",
        "Christine",
        "Christopher",
        "Claire",
        "Claudia",
        "Colin",
        "Craig",
        "Cynthia",
        "Dan",
        "Daniel",
        "Danielle",
        "Dave",
        "David",
        "Debbie",
        "Deborah",
        "Denis",
        "Dennis",
        "Diana",
        "Diego",
        "Dmitri",
        "Dmitry",
        "Donald",
        "Donna",
        "Doug",
        "Douglas",
        "Dylan",
        "Ed",
        "Eddie",
        "Edward",
        "Elena",
        "Eli",
        "Elizabeth",
        "Ellen",
        "Emily",
        "Emma",
        "Eric",
        "Erik",
        "Erin",
        "Ethan",
        "Eve",
        "Evelyn",
        "Fatima",
        "Felix",
        "Fernando",
        "Fiona",
        "Frank",
        "Fred",
        "Gabriel",
        "Gary",
        "George",
        "Georgia",
        "Gerald",
        "Greg",
        "Gregory",
        "Hannah",
        "Hans",
        "Harold",
        "Harry",
        "Heather",
        "Helen",
        "Henry",
        "Hiroshi",
        "Hugo",
        "Ian",
        "Igor",
        "Ivan",
        "Jack",
        "Jacob",
        "Jake",
        "James",
        "Jamie",
        "Jane",
        "Janet",
        "Jason",
        "Javier",
        "Jean",
        "Jeff",
        "Jeffrey",
        "Jennifer",
        "Jenny",
        "Jeremy",
        "Jerry",
        "Jessica",
        "Jim",
        "Jimmy",
        "Joan",
        "Joe",
        "Joel",
        "John",
        "Johnny",
        "Jon",
        "Jonathan",
        "Jorge",
        "Jose",
        "Joseph",
        "Josh",
        "Joshua",
        "Juan",
        "Judy",
        "Julie",
        "Justin",
        "Karen",
        "Karl",
        "Kate",
        "Katherine",
        "Kathy",
        "Katie",
        "Keith",
        "Kelly",
        "Ken",
        "Kenneth",
        "Kevin",
        "Kim",
        "Kyle",
        "Larry",
        "Laura",
        "Lauren",
        "Leo",
        "Li",
        "Liam",
        "Linda",
        "Lisa",
        "Liz",
        "Lucas",
        "Lucy",
        "Luis",
        "Luke",
        "Lukas",
        "Lars",
        "Laila",
        "Mateo",
        "Nora",
        "Pieter",
        "Sven",
        "Tariq",
        "Ewa",
        "Hiro",
        "Adaeze",
        "Kofi",
        "Ngozi",
        "Ravi",
        "Sanjay",
        "Deepak",
        "Aditya",
        "Ananya",
        "Mei",
        "Kenji",
        "Haruto",
        "Fatou",
        "Bola",
        "Jan",
        "Joost",
        "Femke",
        "Ines",
        "Lea",
        "Lena",
        "Jonas",
        "Maria",
        "Marie",
        "Marco",
        "Marcus",
        "Margaret",
        "Maria",
        "Marina",
        "Mario",
        "Martin",
        "Mary",
        "Matt",
        "Matthew",
        "Megan",
        "Mehmet",
        "Melissa",
        "Michael",
        "Michelle",
        "Miguel",
        "Mike",
        "Mohamed",
        "Mohammed",
        "Nancy",
        "Natalie",
        "Nathan",
        "Neil",
        "Nicholas",
        "Nick",
        "Nicole",
        "Nikhil",
        "Nina",
        "Noah",
        "Olga",
        "Oliver",
        "Olivia",
        "Omar",
        "Oscar",
        "Pablo",
        "Pamela",
        "Patrick",
        "Paul",
        "Paula",
        "Pedro",
        "Peter",
        "Philip",
        "Phil",
        "Priya",
        "Rachel",
        "Rahul",
        "Raj",
        "Ralph",
        "Randy",
        "Raymond",
        "Rebecca",
        "Richard",
        "Rick",
        "Rob",
        "Robert",
        "Roberto",
        "Robin",
        "Roger",
        "Ronald",
        "Ryan",
        "Sam",
        "Samantha",
        "Samuel",
        "Sandra",
        "Sara",
        "Sarah",
        "Scott",
        "Sean",
        "Sergei",
        "Sergey",
        "Sharon",
        "Simon",
        "Sophia",
        "Sophie",
        "Stephanie",
        "Stephen",
        "Steve",
        "Steven",
        "Susan",
        "Tanya",
        "Taylor",
        "Ted",
        "Teresa",
        "Thomas",
        "Tim",
        "Timothy",
        "Tina",
        "Todd",
        "Tom",
        "Tony",
        "Tyler",
        "Valerie",
        "Vanessa",
        "Victor",
        "Victoria",
        "Vikram",
        "Vincent",
        "Walter",
        "Wayne",
        "Wei",
        "William",
        "Xavier",
        "Yuki",
        "Yusuf",
        "Zach",
        "Zoe",
    ]
)

# --- root cause (seed: "The root cause is not 'the query was slow.'") -------------------

#: Proximate causes: the thing that broke, not why the system allowed it.
PROXIMATE_CAUSES: tuple[str, ...] = (
    "deploy",
    "deployed",
    "deployment",
    "a deploy",
    "the deploy",
    "bad deploy",
    "bad push",
    "release",
    "a bug",
    "the bug",
    "bug in",
    "software bug",
    "code bug",
    "regression",
    "config change",
    "configuration change",
    "bad config",
    "bad configuration",
    "misconfiguration",
    "misconfigured",
    "wrong config",
    "typo",
    "slow query",
    "query was slow",
    "query is slow",
    "human error",
    "operator error",
    "engineer error",
    "user error",
    "mistake",
    "ran out of",
    "crashed",
    "went down",
    "was down",
    "timed out",
    "timeout",
    "broke",
    "broke prod",
    "broke production",
    "was broken",
    "failed",
    "failure",
    "outage",
    "restarted",
    "expired",
    "overloaded",
    "spike",
    "memory leak",
    "disk full",
    "full disk",
    "null pointer",
    "exception",
    "too small",
    "too low",
    "too few",
    "too short",
    "undersized",
    "exhausted",
    "expired",
    "removed",
    "deleted",
    "renamed",
    "changed",
    "upgraded",
    "bumped",
    "pushed",
    "rolled out",
    "was careless",
    "careless",
    "skipped",
    "forgot",
    "ran the wrong",
)

#: Systemic language: a root cause that names a gap in process, tooling, knowledge,
#: capacity or communication (the seed's categories) is past the proximate cause.
SYSTEMIC_MARKERS: tuple[str, ...] = (
    "no checklist",
    "checklist",
    "no review",
    "review process",
    "no gate",
    "gate",
    "no process",
    "process",
    "processes",
    "no automation",
    "automation",
    "automated",
    "no alert",
    "no alerting",
    "alerting",
    "no monitoring",
    "safeguard",
    "safeguards",
    "guardrail",
    "guardrails",
    "no test",
    "no tests",
    "test coverage",
    "not covered",
    "untested",
    "validation",
    "no validation",
    "nothing validated",
    "not validated",
    "unvalidated",
    "no check",
    "no canary",
    "not reviewed",
    "without review",
    "no guard",
    "runbook",
    "playbook",
    "documentation",
    "undocumented",
    "not documented",
    "training",
    "onboarding",
    "did not know",
    "didn't know",
    "unaware",
    "not aware",
    "knowledge",
    "capacity",
    "capacity planning",
    "not scaled",
    "was not sized",
    "load testing",
    "communication",
    "did not reach",
    "didn't reach",
    "not communicated",
    "ownership",
    "no owner",
    "systematic",
    "systemic",
    "gap",
    "we have no",
    "there was no",
    "there is no",
    "there were no",
    "nothing prevented",
    "nothing stopped",
    "allowed",
    "allows",
    "permitted",
    "lacked",
    "lack of",
    "lacks",
    "missing",
    "no way to",
    "no mechanism",
    "design",
    "policy",
    "tooling",
    "incentive",
    "incentives",
    "culture",
)

# --- action items (seed: "Action Items That Work") --------------------------------------

#: Verb + object pairs too generic to tell when they are done ("improve monitoring").
VAGUE_ACTIONS: tuple[str, ...] = (
    "improve monitoring",
    "improve * monitoring",
    "improve alerting",
    "improve * alerting",
    "improve testing",
    "improve * testing",
    "improve tests",
    "improve * tests",
    "improve documentation",
    "improve * documentation",
    "improve docs",
    "improve communication",
    "improve * communication",
    "improve * process",
    "improve process",
    "improve processes",
    "improve observability",
    "improve reliability",
    "improve logging",
    "improve visibility",
    "improve resilience",
    "improve stability",
    "improve performance",
    "improve quality",
    "improve tooling",
    "improve coverage",
    "improve * coverage",
    "improve the system",
    "improve things",
    "better monitoring",
    "better alerting",
    "better testing",
    "better tests",
    "better communication",
    "clear communication",
    "clearer communication",
    "better documentation",
    "better docs",
    "better logging",
    "better process",
    "better processes",
    "better tooling",
    "better observability",
    "more monitoring",
    "more testing",
    "more tests",
    "more alerts",
    "more alerting",
    "more logging",
    "more care",
    "add more monitoring",
    "add more tests",
    "add more alerts",
    "add more logging",
    "increase monitoring",
    "increase awareness",
    "increase test coverage",
    "increase coverage",
    "enhance monitoring",
    "enhance alerting",
    "enhance testing",
    "strengthen * process",
    "be more careful",
    "be careful",
    "be * careful",
    "take more care",
    "pay more attention",
    "fix the issue",
    "fix this issue",
    "fix the bug",
    "fix the problem",
    "fix this",
    "fix it",
    "address the issue",
    "address this issue",
    "address the problem",
    "follow up",
    "follow up on",
    "follow-up on",
    "work on",
    "review the process",
    "review processes",
    "review the incident",
    "make it more robust",
    "make * more robust",
    "make * more reliable",
    "make * more resilient",
    "make sure this does not happen again",
    "make sure this doesn't happen again",
    "ensure this does not happen again",
    "ensure this doesn't happen again",
    "ensure it does not happen again",
    "ensure it doesn't happen again",
    "prevent this from happening again",
    "prevent it from happening again",
    "prevent recurrence",
    "avoid this in the future",
    "do better",
    "communicate better",
    "communicate more",
    "improve communication with",
    "in general",
    "have a plan",
    "even more",
    "across the board",
    "going forward",
    "as a whole",
)

#: Intentions that cannot be checked off: nobody can tell when they are done.
UNVERIFIABLE_ACTIONS: tuple[str, ...] = (
    "consider",
    "considering",
    "think about",
    "discuss",
    "raise awareness",
    "explore",
    "investigate whether",
    "investigate if",
    "try to",
    "attempt to",
    "remind",
    "be mindful",
    "be aware",
    "keep in mind",
    "keep an eye on",
    "encourage",
    "socialize",
    "socialise",
    "evangelize",
    "where possible",
    "if possible",
    "when possible",
    "as needed",
    "as appropriate",
    "continue to",
    "keep monitoring",
    "monitor the situation",
    "educate",
    "emphasize",
    "emphasise",
)

#: Owners that are not one person (seed: "One person, not a committee").
TEAM_OWNERS: tuple[str, ...] = (
    "team",
    "teams",
    "squad",
    "group",
    "committee",
    "guild",
    "chapter",
    "everyone",
    "everybody",
    "all",
    "all hands",
    "anyone",
    "someone",
    "somebody",
    "we",
    "us",
    "tbd",
    "tba",
    "tbc",
    "n/a",
    "na",
    "none",
    "unassigned",
    "nobody",
    "unknown",
    "engineering",
    "eng",
    "sre",
    "sres",
    "ops",
    "devops",
    "backend",
    "frontend",
    "infra",
    "infrastructure",
    "platform",
    "oncall",
    "on-call",
    "management",
    "leadership",
    "security",
    "qa",
    "dev",
    "devs",
    "developers",
    "engineers",
)

#: Words that make an @handle a group's ("@search-team", "@cdn-oncall", "@platform-sre"),
#: and handles that are a group whole ("@everyone", "@here" in Slack).
GROUP_HANDLE_WORDS: frozenset[str] = frozenset(
    ["team", "teams", "squad", "group", "guild", "committee", "chapter", "oncall", "rotation"]
    + ["sre", "sres", "ops", "devops", "infra", "platform", "backend", "frontend", "eng"]
    + ["engineering", "security", "qa", "support", "leads", "managers", "admins"]
)
GROUP_HANDLES: frozenset[str] = frozenset(
    ["everyone", "all", "here", "channel", "sre", "ops", "platform", "infra", "oncall"]
)

#: Due dates that are not dates (seed: "Due date, not 'when we have time'").
VAGUE_DUES: tuple[str, ...] = (
    "asap",
    "soon",
    "soonish",
    "next sprint",
    "this sprint",
    "next week",
    "this week",
    "next month",
    "this month",
    "next quarter",
    "this quarter",
    "tbd",
    "tba",
    "tbc",
    "when we have time",
    "when time permits",
    "when possible",
    "later",
    "eventually",
    "ongoing",
    "continuous",
    "n/a",
    "none",
    "backlog",
    "someday",
    "future",
    "q1",
    "q2",
    "q3",
    "q4",
    "h1",
    "h2",
    "eoy",
    "eoq",
    "end of year",
    "end of quarter",
    "end of month",
    "?",
)

# --- impact (seed: "Quantify if possible") -----------------------------------------------

#: Quantifiers that sound like numbers and are not.
VAGUE_QUANTIFIERS: tuple[str, ...] = (
    "some users",
    "some customers",
    "some requests",
    "some traffic",
    "some merchants",
    "some clients",
    "a few users",
    "a few customers",
    "a few requests",
    "a few merchants",
    "a few clients",
    "a small number of",
    "a number of users",
    "a number of customers",
    "a subset of users",
    "a subset of customers",
    "a portion of",
    "several users",
    "several customers",
    "many users",
    "many customers",
    "a lot of users",
    "a lot of customers",
    "lots of users",
    "lots of customers",
    "certain users",
    "certain customers",
    "minimal impact",
    "minimal customer impact",
    "limited impact",
    "minor impact",
    "low impact",
    "little impact",
    "negligible impact",
    "no significant impact",
    "significant impact",
    "major impact",
    "moderate impact",
    "some impact",
    "some degradation",
    "some errors",
    "intermittent errors",
    "a while",
    "briefly",
    "for a short time",
    "for some time",
)

# --- timeline (seed: "No analysis yet. Just facts.") -------------------------------------

#: Judgement and analysis that belong in the root cause section, not the timeline.
TIMELINE_ANALYSIS: tuple[str, ...] = (
    # judgement
    "should have",
    "should've",
    "shouldn't have",
    "shouldn't had",
    "should not have",
    "could have",
    "could've",
    "would have",
    "unfortunately",
    "luckily",
    "unluckily",
    "sadly",
    "mistake",
    "mistakenly",
    "obviously",
    "clearly",
    "in hindsight",
    "with hindsight",
    "in retrospect",
    "wrongly",
    "incorrectly assumed",
    "finally",
    "far too late",
    "too late",
    "where it went wrong",
    "wasted",
    "ignored",
    "turned out",
    "turns out",
    "nobody thought",
    "nobody noticed",
    "nobody checked",
    "nobody looked",
    "nobody reacted",
    "nobody responded",
    "nobody pages",
    "nobody paged",
    "nobody escalated",
    "no one thought",
    "no one noticed",
    "no one checked",
    "no one paged",
    # explanation, with what the analysis found out later
    "we now know",
    "we later learned",
    # what the real problem *was* is a finding; looking for it is a fact
    "the real problem was",
    "the real problem is",
    "the real issue was",
    "the real issue is",
    "even though",
    "meaning",
    "meant that",
    "meant the",
    "this is due to",
    "this was due to",
    "which might indicate",
    "which may indicate",
    "which could indicate",
    "which would indicate",
    "since the previous",
)

# --- template leftovers -------------------------------------------------------------------

#: Placeholder patterns left behind from a template: (probe, regular expression). The probe is
#: what every match contains, lower-cased: a word (letters and digits only) or else a
#: substring. A document without it skips the pattern.
TEMPLATE_PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("[", r"\[\s*fill[ -]?in\b[^\]\n]*\]"),
    (
        "[",
        r"\[\s*(?:insert|add|describe|enter|your|replace|list|summari[sz]e|explain|link|name|date|time|owner|todo|tbd)\b[^\]\n]*\]",
    ),
    (
        "<",
        r"<\s*(?:describe|insert|add|enter|your|replace|list|summari[sz]e|explain|fill|name|date|owner|link)\b[^>\n]*>",
    ),
    ("{", r"\{\{[^}\n]*\}\}"),
    ("lorem", r"\blorem ipsum\b"),
    ("todo", r"\bTODO\b"),
    ("tbd", r"\bTBD\b"),
    ("fixme", r"\bFIXME\b"),
    ("xx", r"\bXX:XX\b"),
    ("hh", r"\bHH:MM\b"),
    ("yyyy", r"\bYYYY-MM-DD\b"),
    ("yyyy", r"\bDD/MM/YYYY\b"),
    ("yyyy", r"\bMM/DD/YYYY\b"),
    ("x", r"\$X+\b"),
    ("xx", r"\bXX (?:users|customers|requests|minutes|hours|orders|errors)\b"),
    ("xxx", r"\bXXX+ (?:users|customers|requests|minutes|hours|orders|errors)\b"),
    ("n", r"\bN (?:users|customers|requests|minutes|hours|orders|errors)\b"),
    # a template's stand-in for a value: "XXX", "YYY", "ZZZ"
    ("xxx", r"\bXXX+\b"),
    ("yyy", r"\bYYY+\b"),
    ("zzz", r"\bZZZ+\b"),
    # a template's instruction in brackets: "By: (Names)", "Q (who): A (who):", "(use initials)"
    (
        "(",
        r"\((?:names?|name\(s\)|who|whom|when|date|time|initials|use initials|owner|team|link|url|"
        r"number|incident\s*#?|#|your name|author|authors)\)",
    ),
)

#: A title that is nothing but a template's words ("# Title (incident #)", "# Incident Title",
#: "# Postmortem Template", "# Title of the incident: Date").
TEMPLATE_TITLE_WORDS: frozenset[str] = frozenset(
    [
        "title",
        "incident",
        "postmortem",
        "post",
        "mortem",
        "template",
        "report",
        "name",
        "date",
        "of",
        "the",
        "sample",
        "example",
        "your",
        "here",
    ]
)

# --- shared -------------------------------------------------------------------------------

#: Words that carry no meaning for overlap between a cause and an action item.
# The general English stop words of near-duplicate matching, less "done" (an action item
# that is "done when ..." says something), plus words that every postmortem uses and that
# therefore say nothing about whether an item addresses a cause.
STOPWORDS: frozenset[str] = (SIMILARITY_STOPWORDS - {"done"}) | frozenset(
    [
        "above",
        "add",
        "added",
        "again",
        "against",
        "am",
        "aren't",
        "below",
        "between",
        "both",
        "can't",
        "couldn't",
        "didn't",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "e.g",
        "each",
        "ensure",
        "etc",
        "few",
        "further",
        "get",
        "got",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "i.e",
        "incident",
        "isn't",
        "issue",
        "itself",
        "made",
        "make",
        "makes",
        "me",
        "my",
        "myself",
        "need",
        "needed",
        "needs",
        "new",
        "nor",
        "now",
        "off",
        "ours",
        "ourselves",
        "outage",
        "per",
        "problem",
        "same",
        "service",
        "services",
        "she",
        "should",
        "shouldn't",
        "system",
        "team",
        "teams",
        "theirs",
        "themselves",
        "use",
        "used",
        "using",
        "via",
        "wasn't",
        "weren't",
        "whom",
        "won't",
        "yours",
        "yourself",
        "yourselves",
    ]
)


def _longest_first(source: str) -> tuple[int, str]:
    return (-len(source), source)


def _phrase_regex(phrase: str) -> str:
    words = phrase.split()
    parts: list[str] = []
    for word in words:
        if word == "*":
            parts.append(r"(?:[\w'-]+\s+)?")
        else:
            parts.append(re.escape(word) + r"\s+")
    body = "".join(parts)
    # drop the separator after the last word
    if body.endswith(r"\s+"):
        body = body[: -len(r"\s+")]
    elif body.endswith(r"(?:[\w'-]+\s+)?"):
        body = body[: -len(r"(?:[\w'-]+\s+)?")]
    return body


class _Node(dict[str, "_Node"]):
    """A trie node: character -> child; the key "" marks the end of a phrase."""


def _trie(words: list[str]) -> str:
    """A regex that matches any of ``words``, sharing prefixes."""
    tree = _Node()
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, _Node())
        node[""] = _Node()
    return _render(tree)


def _render(node: _Node) -> str:
    end = "" in node
    branches = [
        (r"\s+" if ch == " " else re.escape(ch)) + _render(child)
        for ch, child in sorted(node.items())
        if ch != ""
    ]
    if not branches:
        return ""
    if len(branches) == 1 and not end:
        return branches[0]
    body = "(?:" + "|".join(branches) + ")"
    return body + "?" if end else body


def compile_phrases(
    phrases: Iterable[str], *, ignore_case: bool = True, word_bounded: bool = True
) -> re.Pattern[str]:
    """One pattern for a whole list. Plain phrases become a prefix trie (a space matches any
    run of whitespace); phrases with ``*`` are appended as alternatives, longest first. The
    pattern's source is kept between runs (:func:`kept`): rendering the trie is most of what
    importing the rules costs."""
    phrases = tuple(phrases)
    body = kept(
        "word-list pattern",
        (phrases, ignore_case, word_bounded),
        lambda: _phrases_source(phrases, ignore_case=ignore_case, word_bounded=word_bounded),
        str,
    )
    return lazy(body, re.IGNORECASE if ignore_case else 0)


def _phrases_source(phrases: tuple[str, ...], *, ignore_case: bool, word_bounded: bool) -> str:
    plain: list[str] = []
    special: list[str] = []
    for phrase in phrases:
        phrase = phrase.strip().lower() if ignore_case else phrase.strip()
        if not phrase:
            continue
        if "*" in phrase.split():
            special.append(_phrase_regex(phrase))
        else:
            plain.append(" ".join(phrase.split()))
    # longest first; of one length, in a fixed order (a set's order changes with every
    # run, and so would the pattern, which the compiled-pattern store then never finds)
    alternatives = sorted(set(special), key=_longest_first)
    if plain:
        alternatives.append(_trie(sorted(set(plain))))
    body = "|".join(alternatives) if alternatives else r"(?!x)x"
    if word_bounded:
        body = r"(?<![\w@-])(?:" + body + r")(?![\w-])"
    return body


_PIECE = lazy(r"[^\W_]+")


def pieces(phrase: str) -> tuple[str, ...]:
    """The word pieces of ``phrase`` as a document's :func:`word_set` holds them: letters and
    digits only, split at any other character ("didn't" -> "didn", "t"); ``*`` dropped."""
    return tuple(_PIECE.findall(phrase.lower()))


_BREAKS = bytes(range(128)).translate(
    None, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n\r\x0b\x0c"
)
_TO_SPACE = bytes.maketrans(_BREAKS, b" " * len(_BREAKS))
_ASCII_BYTES = bytes(range(128))
_NON_WORD = lazy(r"[^\w\s]+|_+")


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def lowered(text: str) -> str:
    """``text`` lower-cased with every offset kept (a few characters, e.g. "İ", grow when
    lower-cased; then only ASCII letters are lowered)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def word_set(low: str) -> frozenset[str]:
    """Every word piece of the lower-cased ``low``: runs of letters and digits between any
    other characters. A phrase can only match a text holding all its :func:`pieces`, so
    this set, built once per document, tells every word list which of its phrases to look
    for. ASCII punctuation goes in one C-speed byte translation; in other text, the few
    words left holding other characters are split again by a regex. The other characters that
    break words (dashes, curly quotes, "·") are first replaced by spaces, one ``str.replace``
    each: a text whose only other characters they are is then split as ASCII."""
    if not low.isascii():
        for char in set(low.encode().translate(None, _ASCII_BYTES).decode()):
            if not (char.isalnum() or char.isspace()):
                low = low.replace(char, " ")
    tokens = low.encode().translate(_TO_SPACE).decode().split()
    if low.isascii():
        return frozenset(tokens)
    words = set(tokens)
    odd = [word for word in words if not word.isascii()]
    words.difference_update(odd)
    for word in odd:
        words.update(_NON_WORD.sub(" ", word).split())
    return frozenset(words)


#: a word list's groups by first word: ((first word, pattern source), ...); anchor piece ->
#: [(the phrase's other pieces, group)]; the groups that always run
_Groups = tuple[
    tuple[tuple[str, str], ...], dict[str, list[tuple[tuple[str, ...], int]]], list[int]
]


def _groups(phrases: tuple[str, ...]) -> _Groups:
    """What :class:`Phrases` scans with, worked out from its list."""
    groups: dict[str, list[str]] = {}
    needs: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = phrase.strip().lower().split()
        if not words:
            continue
        groups.setdefault(words[0], []).append(_phrase_regex(" ".join(words)))
        needs.setdefault(words[0], []).append(pieces(" ".join(words)))
    sources = tuple(
        (first, "(?:" + "|".join(sorted(set(group), key=_longest_first)) + r")(?![\w-])")
        for first, group in sorted(groups.items())
    )
    # anchor piece (the longest of a phrase) -> (its other pieces, group) for the word-set test
    anchors: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for index, (first, _) in enumerate(sources):
        for need in needs[first]:
            if not need:
                anchors.setdefault("", []).append((need, index))
                continue
            anchor = max(need, key=len)
            # the anchor is known to be there when its entry is read: keep the others
            rest = tuple(piece for piece in need if piece != anchor)
            anchors.setdefault(anchor, []).append((rest, index))
    always = sorted({index for _, index in anchors.get("", [])})
    return sources, anchors, always


class Phrases:
    """A word list compiled for scanning whole documents fast.

    Phrases are grouped by their first word; each group is one regular expression that
    starts with that literal word, so the regex engine jumps from one occurrence of the word
    to the next instead of trying every phrase at every position. Which groups run at all is
    decided from the document's :func:`word_set`: a group runs only when every word of one of
    its phrases occurs somewhere (without a word set, a C-speed substring probe of the first
    word decides). Text must be lower-cased (the caller lower-cases a document once); the
    left word boundary is checked here.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        phrases = tuple(phrases)
        # worked out once and kept between runs (:func:`kept`), like compile_phrases' tries
        sources, self._anchors, self._always = kept(
            "word-list groups", phrases, lambda: _groups(phrases), tuple
        )
        self._probes: list[tuple[str, re.Pattern[str]]] = [
            (first, lazy(source)) for first, source in sources
        ]
        self._anchor_set = frozenset(self._anchors)
        self._last: tuple[AbstractSet[str], list[int]] | None = None

    def groups_for(self, words: AbstractSet[str]) -> list[int]:
        """Indexes of the groups that can match a text whose word set is ``words`` (the
        last answer is kept: several rules ask about the same document)."""
        last = self._last
        if last is not None and last[0] is words:
            return last[1]
        found = set(self._always)
        for anchor in self._anchor_set.intersection(words):
            for rest, index in self._anchors[anchor]:
                if index not in found and all(map(words.__contains__, rest)):
                    found.add(index)
        result = sorted(found)
        self._last = (words, result)
        return result

    def finditer(
        self,
        low: str,
        start: int = 0,
        end: int | None = None,
        words: AbstractSet[str] | None = None,
    ) -> list[re.Match[str]]:
        """Every match in ``low[start:end]``, by position; overlapping matches keep the first.
        ``words`` is the word set of the whole of ``low`` (see :func:`word_set`), if known."""
        stop = len(low) if end is None else end
        found: list[re.Match[str]] = []
        if words is not None:
            probes = [self._probes[index] for index in self.groups_for(words)]
        else:
            probes = self._probes
        find = low.find
        for first, pattern in probes:
            at = find(first, start, stop)
            if at == -1:
                continue
            if len(first) < 3 or first == "*":
                # "a", "in" occur inside many words: one regex scan beats a call per hit
                matches: Iterable[re.Match[str]] = pattern.finditer(low, at, stop)
            else:
                matches = literal_matches(pattern, first, low, at, stop)
            for match in matches:
                i = match.start()
                if i and (low[i - 1].isalnum() or low[i - 1] in "_@-"):
                    continue
                found.append(match)
        if len(found) > 1:
            found.sort(key=lambda m: (m.start(), -m.end()))
            kept = [found[0]]
            for match in found[1:]:
                if match.start() >= kept[-1].end():
                    kept.append(match)
            return kept
        return found

    def search(
        self,
        low: str,
        start: int = 0,
        end: int | None = None,
        words: AbstractSet[str] | None = None,
    ) -> re.Match[str] | None:
        found = self.finditer(low, start, end, words)
        return found[0] if found else None
