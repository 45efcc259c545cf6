"""Hypothesis strategies for Kubernetes label keys and values, built from the rules'
grammar, and hostile strings around them."""

from __future__ import annotations

from hypothesis import strategies as st

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"


def _name(first: str, middle: str, most: int) -> st.SearchStrategy[str]:
    """1..most characters: `first` at both ends, `middle` between."""
    inner = st.text(alphabet=middle, max_size=most - 2)
    ends = st.tuples(st.sampled_from(first), inner, st.sampled_from(first))
    return st.one_of(st.sampled_from(first), ends.map(lambda parts: "".join(parts)))


def dns_label(most: int = 20) -> st.SearchStrategy[str]:
    return _name(LOWER, LOWER + "-", most)


def label_values() -> st.SearchStrategy[str]:
    """Valid label values: empty, or up to 63 letters, digits, '-', '_', '.', alphanumeric at
    both ends."""
    return st.one_of(st.just(""), _name(ALNUM, ALNUM + "-_.", 63))


def label_keys() -> st.SearchStrategy[str]:
    """Valid label keys: an optional DNS-subdomain prefix and '/', then a name."""
    prefix = st.lists(dns_label(), min_size=1, max_size=4).map(".".join)
    name = _name(ALNUM, ALNUM + "-_.", 63)
    return st.one_of(name, st.tuples(prefix, name).map(lambda p: f"{p[0]}/{p[1]}"))


HOSTILE_CHARS = " !@#$%^&*()+=,;:'\"<>?~`\\|{}[]\n\té"


def spoiled(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid string with one hostile character put in somewhere."""

    def spoil(args: tuple[str, int, str]) -> str:
        text, at, char = args
        at = at % (len(text) + 1)
        return text[:at] + char + text[at:]

    return st.tuples(valid, st.integers(0, 1000), st.sampled_from(HOSTILE_CHARS)).map(spoil)


def candidates() -> st.SearchStrategy[str]:
    """Strings near the rules from both sides: valid, spoiled, too long, or random."""
    return st.one_of(
        label_keys(),
        label_values(),
        spoiled(label_keys()),
        st.text(alphabet=ALNUM[:4] + "-_./ ", max_size=80),
        st.integers(60, 70).map(lambda n: "k" * n),
        st.integers(250, 320).map(lambda n: "p" * n + "/k"),
    )
