"""The CQL parser: queries from the CQL 1.2 spec and from real use, broken queries, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.errors import CQLError
from webapp.sru.cql import MAX_DEPTH, parse
from webapp.sru.cql_tree import (
    BOOLEANS,
    COMPARISONS,
    KEYWORDS,
    SERVER_CHOICE,
    Boolean,
    Mask,
    Modifier,
    Node,
    PrefixAssignment,
    Query,
    Relation,
    SearchClause,
    SortKey,
    Term,
    search_clauses,
)
from webapp.sru.cql_writer import to_cql

DC = "info:srw/cql-context-set/1/dc-v1.1"


def word(raw: str) -> SearchClause:
    """A bare term: cql.serverChoice = raw."""
    return SearchClause(SERVER_CHOICE, Relation("="), Term(raw))


def clause(index: str, relation: str | Relation, raw: str) -> SearchClause:
    return SearchClause(
        index, Relation(relation) if isinstance(relation, str) else relation, Term(raw)
    )


def and_(left: Node, right: Node) -> Boolean:
    return Boolean("and", left, right)


def or_(left: Node, right: Node) -> Boolean:
    return Boolean("or", left, right)


VALID = [
    # the spec's examples
    ("dinosaur", word("dinosaur")),
    ('"complete dinosaur"', word("complete dinosaur")),
    ('title = "complete dinosaur"', clause("title", "=", "complete dinosaur")),
    ('title exact "the complete dinosaur"', clause("title", "exact", "the complete dinosaur")),
    ("dinosaur or bird", or_(word("dinosaur"), word("bird"))),
    ("dinosaur not reptile", Boolean("not", word("dinosaur"), word("reptile"))),
    ("dinosaur and bird or dinobird", or_(and_(word("dinosaur"), word("bird")), word("dinobird"))),
    (
        "(bird or dinosaur) and (feathers or scales)",
        and_(or_(word("bird"), word("dinosaur")), or_(word("feathers"), word("scales"))),
    ),
    (
        '"feathered dinosaur" and (yixian or jehol)',
        and_(word("feathered dinosaur"), or_(word("yixian"), word("jehol"))),
    ),
    ("lengthOfTime > 26", clause("lengthOfTime", ">", "26")),
    ("publicationYear < 1980", clause("publicationYear", "<", "1980")),
    ("lengthOfFemur > 2.4", clause("lengthOfFemur", ">", "2.4")),
    ("bioMass >= 100", clause("bioMass", ">=", "100")),
    ("dc.date <= 2000", clause("dc.date", "<=", "2000")),
    ("dc.language <> ger", clause("dc.language", "<>", "ger")),
    ('dc.title any "fish frog"', clause("dc.title", "any", "fish frog")),
    ('dc.title all "fish frog"', clause("dc.title", "all", "fish frog")),
    ('dc.title adj "complete dinosaur"', clause("dc.title", "adj", "complete dinosaur")),
    (
        'dc.title cql.exact "the complete dinosaur"',
        clause("dc.title", "cql.exact", "the complete dinosaur"),
    ),
    ('dc.date within "2000 2010"', clause("dc.date", "within", "2000 2010")),
    ("dateRange encloses 2003", clause("dateRange", "encloses", "2003")),
    (
        "ribs prox/distance<=5 chevrons",
        Boolean("prox", word("ribs"), word("chevrons"), (Modifier("distance", "<=", "5"),)),
    ),
    (
        "dinosaur prox/unit=word/distance>3 bird",
        Boolean(
            "prox",
            word("dinosaur"),
            word("bird"),
            (Modifier("unit", "=", "word"), Modifier("distance", ">", "3")),
        ),
    ),
    (
        'subject any/relevant "fish frog"',
        clause("subject", Relation("any", (Modifier("relevant"),)), "fish frog"),
    ),
    (
        'subject any/rel.lr "fish frog"',
        clause("subject", Relation("any", (Modifier("rel.lr"),)), "fish frog"),
    ),
    (
        'dc.title any fish or (dc.creator any sanderson and dc.identifier = "id:1234567")',
        or_(
            clause("dc.title", "any", "fish"),
            and_(
                clause("dc.creator", "any", "sanderson"), clause("dc.identifier", "=", "id:1234567")
            ),
        ),
    ),
    # from real use: identifiers, exact matches, modifiers, compact spelling
    ("bath.isbn = 3498035282", clause("bath.isbn", "=", "3498035282")),
    ("rec.id == 42", clause("rec.id", "==", "42")),
    ("dc.title=Blechtrommel", clause("dc.title", "=", "Blechtrommel")),
    ('dc.title="Die Blechtrommel"', clause("dc.title", "=", "Die Blechtrommel")),
    ("dc.date>=2000", clause("dc.date", ">=", "2000")),
    ("title =/relevant x", clause("title", Relation("=", (Modifier("relevant"),)), "x")),
    (
        "dc.title any/cql.stem/lang=de Fischer",
        clause(
            "dc.title",
            Relation("any", (Modifier("cql.stem"), Modifier("lang", "=", "de"))),
            "Fischer",
        ),
    ),
    (
        "a and/rel.combine=sum b",
        Boolean("and", word("a"), word("b"), (Modifier("rel.combine", "=", "sum"),)),
    ),
    ('dc.title = ""', clause("dc.title", "=", "")),
    ('"dc.title" = x', clause("dc.title", "=", "x")),
    ("((dinosaur))", word("dinosaur")),
    ("cql.serverChoice = dinosaur", word("dinosaur")),
    # German words
    ("dc.creator = Böll", clause("dc.creator", "=", "Böll")),
    ("Größenwahn and Käse", and_(word("Größenwahn"), word("Käse"))),
    ('dc.title = "Über die Brücke"', clause("dc.title", "=", "Über die Brücke")),
    ("dc.subject any Straßenbahn", clause("dc.subject", "any", "Straßenbahn")),
    # masking
    ("Fisch*", word("Fisch*")),
    (r"Fisch\*", word(r"Fisch\*")),
    (r'"Fisch\* \"Zitat\""', word(r"Fisch\* \"Zitat\"")),
    # keywords: quoted they are terms, unquoted booleans in any case
    ('"and"', word("and")),
    ('"or" and "not"', and_(word("or"), word("not"))),
    ('title = "sortBy"', clause("title", "=", "sortBy")),
    ("dinosaur AND bird Or fish", or_(and_(word("dinosaur"), word("bird")), word("fish"))),
    ("a NOT b", Boolean("not", word("a"), word("b"))),
    ("a Prox b", Boolean("prox", word("a"), word("b"))),
]


@pytest.mark.parametrize(("text", "root"), VALID, ids=[text for text, _ in VALID])
def test_query_parses_to_the_expected_tree(text: str, root: Node) -> None:
    assert parse(text) == Query(root)


def test_prefix_assignments_scope_the_query_and_its_sort_keys() -> None:
    assert parse(f'>dc="{DC}" dc.title=x') == Query(
        clause("dc.title", "=", "x"), prefixes=(PrefixAssignment("dc", DC),)
    )
    assert parse('> dc = "http://deepcustard.org/" dc.custardDepth > 10') == Query(
        clause("dc.custardDepth", ">", "10"),
        prefixes=(PrefixAssignment("dc", "http://deepcustard.org/"),),
    )
    assert parse('> "http://deepcustard.org/" custardDepth > 10 sortBy custardDepth') == Query(
        clause("custardDepth", ">", "10"),
        sort_keys=(SortKey("custardDepth"),),
        prefixes=(PrefixAssignment(None, "http://deepcustard.org/"),),
    )


def test_prefix_assignments_in_parentheses_belong_to_that_subtree() -> None:
    dc = PrefixAssignment("dc", DC)
    bib = PrefixAssignment("bib", "info:srw/cql-context-set/1/bib-v1")
    assert parse(f'(>dc="{DC}" dc.title = x or y) and z') == Query(
        and_(Boolean("or", clause("dc.title", "=", "x"), word("y"), prefixes=(dc,)), word("z"))
    )
    # nested scopes merge, outer first, so the inner assignment wins on a clash
    nested = parse(f'(>dc="{DC}" (>bib="{bib.uri}" bib.issue = 3))')
    assert nested.root == SearchClause("bib.issue", Relation("="), Term("3"), (dc, bib))
    # `(>p q) sortBy k` is not `>p q sortBy k`: there the prefix does not reach the key
    assert parse(f'(>dc="{DC}" x) sortBy dc.title').prefixes == ()


def test_sort_keys_follow_sortby_with_their_modifiers() -> None:
    assert parse("cat sortBy dc.title/sort.ascending") == Query(
        word("cat"), sort_keys=(SortKey("dc.title", (Modifier("sort.ascending"),)),)
    )
    assert parse('"dinosaur" SORTBY dc.date/sort.descending dc.title') == Query(
        word("dinosaur"),
        sort_keys=(SortKey("dc.date", (Modifier("sort.descending"),)), SortKey("dc.title")),
    )
    assert parse('a sortBy dc.title/sort.missingValue="zz z"').sort_keys == (
        SortKey("dc.title", (Modifier("sort.missingValue", "=", "zz z"),)),
    )


# The productions of the CQL 1.2 grammar one by one (see webapp.sru.cql), each with the
# reserved words where the grammar lets a term stand: prefix, uri, index, searchTerm,
# modifierName, modifierValue and the index of a sort key are all `term`, and
# term ::= identifier | and | or | not | prox | sortby.
DCSET = PrefixAssignment("dc", DC)
GRAMMAR = [
    # searchClause ::= searchTerm
    ("and", Query(word("and"))),
    ("OR", Query(word("OR"))),
    ("not", Query(word("not"))),
    ("prox", Query(word("prox"))),
    ("sortBy", Query(word("sortBy"))),
    ("((and))", Query(word("and"))),
    # searchClause ::= index relation searchTerm
    ("title = and", Query(clause("title", "=", "and"))),
    ("dc.title any or", Query(clause("dc.title", "any", "or"))),
    ("title == sortby", Query(clause("title", "==", "sortby"))),
    ("title <> NOT", Query(clause("title", "<>", "NOT"))),
    ("and = x", Query(clause("and", "=", "x"))),
    ("sortby any sortby", Query(clause("sortby", "any", "sortby"))),
    ('"title" = "x"', Query(clause("title", "=", "x"))),
    # relation ::= comparitor modifier*; namedComparitor ::= identifier, quoted too
    ('title "any" x', Query(clause("title", "any", "x"))),
    ("title cql.any x", Query(clause("title", "cql.any", "x"))),
    ("title =/and or", Query(clause("title", Relation("=", (Modifier("and"),)), "or"))),
    (
        'title any/"rel.algorithm"=and/x not',
        Query(
            clause(
                "title",
                Relation("any", (Modifier("rel.algorithm", "=", "and"), Modifier("x"))),
                "not",
            )
        ),
    ),
    # scopedClause ::= scopedClause boolean modifier* searchClause
    ("and and and", Query(and_(word("and"), word("and")))),
    ("a or or", Query(or_(word("a"), word("or")))),
    ("a and sortBy", Query(and_(word("a"), word("sortBy")))),
    ("a not not b c", Query(Boolean("not", word("a"), clause("not", "b", "c")))),
    ("a prox/and b", Query(Boolean("prox", word("a"), word("b"), (Modifier("and"),)))),
    (
        "a prox/unit=or/distance<=2 b",
        Query(
            Boolean(
                "prox",
                word("a"),
                word("b"),
                (Modifier("unit", "=", "or"), Modifier("distance", "<=", "2")),
            )
        ),
    ),
    # sortedQuery ::= scopedClause SORTBY singleSpec+; singleSpec ::= index modifier*
    ("sortby sortby sortby", Query(word("sortby"), (SortKey("sortby"),))),
    ("a sortBy and or", Query(word("a"), (SortKey("and"), SortKey("or")))),
    (
        "a sortby title/sort.descending/sort.ignoreCase",
        Query(
            word("a"),
            (SortKey("title", (Modifier("sort.descending"), Modifier("sort.ignoreCase"))),),
        ),
    ),
    (
        'a sortby "dc.title"/"sort.missingValue"=and dc.date',
        Query(
            word("a"),
            (SortKey("dc.title", (Modifier("sort.missingValue", "=", "and"),)), SortKey("dc.date")),
        ),
    ),
    # prefixAssignment ::= ">" prefix "=" uri | ">" uri, before a query and in parentheses
    (
        f'>and="{DC}" and.title = or',
        Query(clause("and.title", "=", "or"), prefixes=(PrefixAssignment("and", DC),)),
    ),
    ("> sortby x", Query(word("x"), prefixes=(PrefixAssignment(None, "sortby"),))),
    (
        f'>"{DC}" >dc="{DC}" title = x',
        Query(clause("title", "=", "x"), prefixes=(PrefixAssignment(None, DC), DCSET)),
    ),
    (
        f'(>dc="{DC}" and) sortBy dc.title',
        Query(
            SearchClause(SERVER_CHOICE, Relation("="), Term("and"), (DCSET,)),
            (SortKey("dc.title"),),
        ),
    ),
]


@pytest.mark.parametrize(("text", "query"), GRAMMAR, ids=[text for text, _ in GRAMMAR])
def test_each_production_of_the_grammar_parses_with_reserved_words_as_terms(
    text: str, query: Query
) -> None:
    assert parse(text) == query
    assert parse(to_cql(query)) == query


def test_quoted_modifier_value_is_the_same_as_a_bare_one() -> None:
    assert parse('a prox/unit="word" b') == parse("a prox/unit=word b")


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("Fisch", ("Fisch",)),
        ("Fisch*", ("Fisch", Mask.ANY)),
        (r"Fisch\*", ("Fisch*",)),
        ("^Anf?ng*", (Mask.ANCHOR, "Anf", Mask.ONE, "ng", Mask.ANY)),
        (r"\^\?\\", ("^?\\",)),
        (r"\"Zitat\"", ('"Zitat"',)),
        ("**", (Mask.ANY, Mask.ANY)),
        ("Ende\\", ("Ende\\",)),
        ("", ()),
    ],
)
def test_term_parts_tell_masking_from_masked_characters(raw: str, parts: tuple) -> None:
    assert Term(raw).parts() == parts


def test_masked_asterisk_stays_apart_from_the_wildcard() -> None:
    masked, wildcard = search_clauses(parse(r"dc.title = Fisch\* or dc.title = Fisch*"))
    assert masked.term.raw == r"Fisch\*"
    assert masked.term.parts() == ("Fisch*",)
    assert wildcard.term.parts() == ("Fisch", Mask.ANY)


INVALID = [
    ("", 0, "expected a search term at position 0, but the query is empty"),
    ("   ", 3, "query is empty"),
    # a reserved word is a term, but a term is no boolean: no unary `not`
    ("not reptile", 11, "expected a search term after 'not reptile' at position 11"),
    ("not (a)", 4, "expected a boolean operator, 'sortBy' or the end of the query"),
    ("sortBy dc.title", 15, "expected a search term after 'sortBy dc.title'"),
    ("dinosaur and", 12, "expected a search term after 'and' at position 12"),
    ("dinosaur or or bird", 19, "expected a search term after 'or bird'"),
    ("a and sortBy title", 18, "expected a search term after 'sortBy title'"),
    ("prox/unit=word", 4, "found '/'"),
    ("dc.title =", 10, "expected a search term after 'dc.title =' at position 10"),
    ("dc.title = ", 11, "expected a search term after 'dc.title =' at position 11"),
    ("title = and bird", 12, "expected a boolean operator, 'sortBy' or the end of the query"),
    ("a = = b", 4, "found '='"),
    ("= x", 0, "found '='"),
    ("(bird or dinosaur", 17, "the '(' at position 0 is not closed"),
    ("((a) and b", 10, "the '(' at position 0 is not closed"),
    ("bird or dinosaur)", 16, "found ')'"),
    ("()", 1, "expected a search term at position 1, found ')'"),
    ('"complete dinosaur', 0, "unclosed quoted string starting at position 0"),
    ('title = "complete', 8, "unclosed quoted string"),
    ('"ends in a backslash\\"', 0, "unclosed quoted string"),
    ("complete dinosaur", 17, "expected a search term after 'complete dinosaur'"),
    ("title = x y", 10, "expected a boolean operator, 'sortBy' or the end of the query"),
    ("a (b)", 2, "found '('"),
    ("a and/ (b)", 7, "expected a modifier name after '/' at position 7"),
    ('title =/ "x"', 12, "expected a search term after 'title =/ \"x\"' at position 12"),
    ("title =/x und/y", 13, "found '/'"),
    ("a sortBy /sort.descending", 9, "expected a sort key after 'sortBy'"),
    ("a sortBy dc.title/", 18, "expected a modifier name"),
    ("a and/", 6, "modifier name"),
    ("a prox/distance>", 16, "expected a modifier value"),
    ("a sortBy", 8, "expected a sort key after 'sortBy' at position 8"),
    ("a sortBy dc.title )", 18, "expected a sort key or the end of the query"),
    ("(a sortBy b)", 3, "found the keyword 'sortBy'"),
    (">", 1, "expected a context set prefix or URI"),
    (">dc", 3, "expected a search term"),
    (">dc=", 4, "expected a URI"),
    ("a and >dc=x b", 6, "found '>'"),
    ("> = x", 2, "expected a context set prefix or URI after '>' at position 2, found '='"),
    (">x=y=z a", 4, "found '='"),
    ("dinosaur /", 9, "found '/'"),
]


@pytest.mark.parametrize(("text", "position", "message"), INVALID, ids=[t for t, *_ in INVALID])
def test_malformed_query_is_a_cql_error_at_its_position(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(CQLError) as caught:
        parse(text)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_parentheses_nest_up_to_the_depth_cap() -> None:
    deepest = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse(deepest) == Query(word("a"))
    with pytest.raises(CQLError, match="nested more than") as caught:
        parse("(" + deepest + ")")
    assert caught.value.position == MAX_DEPTH
    with pytest.raises(CQLError):
        parse("(" * 10_000)
    right_nested = "a" + " and (a" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1)
    with pytest.raises(CQLError, match="nested more than"):
        parse(right_nested)


def test_ten_thousand_booleans_parse_without_recursion() -> None:
    text = " and ".join(["a"] * 10_001)
    query = parse(text)
    assert sum(1 for _ in search_clauses(query)) == 10_001
    assert to_cql(query) == text


def test_search_clauses_come_left_to_right() -> None:
    query = parse("a and (b or c = d) not e")
    assert [c.term.raw for c in search_clauses(query)] == ["a", "b", "d", "e"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (
            "(bird or dinosaur) and (feathers or scales)",
            "bird or dinosaur and (feathers or scales)",
        ),
        ('dinosaur AND "bird"', "dinosaur and bird"),
        ("cql.serverChoice = x", "x"),
        ('"and" or "a b"', '"and" or "a b"'),
        ("dc.title=x", "dc.title = x"),
        (
            '>dc="http://purl.org/dc/elements/1.1/" dc.title=x',
            '>dc="http://purl.org/dc/elements/1.1/" dc.title = x',
        ),
        ("(>a=x (>b=y q)) and r", "(>a=x >b=y q) and r"),
        ("(>a=x q) sortBy k", "(>a=x q) sortBy k"),
        (
            'a prox/unit="word" b SortBy k/sort.descending',
            "a prox/unit=word b sortBy k/sort.descending",
        ),
        (r'"Fisch\* \"Zitat\""', r'"Fisch\* \"Zitat\""'),
    ],
)
def test_to_cql_writes_canonical_cql(text: str, canonical: str) -> None:
    assert to_cql(parse(text)) == canonical


def test_to_cql_quotes_what_a_bare_word_cannot_hold() -> None:
    tree = Query(
        clause("a b", "=", 'say "hi"\\'),
        sort_keys=(SortKey("sortby"),),
        prefixes=(PrefixAssignment("p", "http://x/"),),
    )
    text = to_cql(tree)
    assert text == '>p="http://x/" "a b" = "say \\"hi\\"\\\\" sortBy "sortby"'
    assert parse(text).root.term.parts() == ('say "hi"\\',)


# Property tests --------------------------------------------------------------------------

TOKENS = st.sampled_from(
    ["a", "dc.title", '"x y"', '"', "and", "OR", "not", "prox", "sortBy", "(", ")", "=", "==",
     "<>", "<", ">", "<=", ">=", "/", "any", "\\", "*", "rel.combine=sum", ">dc=", "ä", ""]
)  # fmt: skip
SOUP = st.lists(st.tuples(TOKENS, st.sampled_from([" ", ""])), max_size=30).map(
    lambda pairs: "".join(token + space for token, space in pairs)
)


def check_never_fails_but_with_cql_error(text: str) -> None:
    try:
        query = parse(text)
    except CQLError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert parse(to_cql(query)) == query


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_nothing_but_cql_error(text: str) -> None:
    check_never_fails_but_with_cql_error(text)


@settings(max_examples=300, deadline=None)
@given(SOUP)
def test_any_soup_of_cql_tokens_raises_nothing_but_cql_error(text: str) -> None:
    check_never_fails_but_with_cql_error(text)


# Raw strings as the parser keeps them: no unescaped quote, no backslash left unpaired.
RAW = st.lists(
    st.one_of(
        st.characters(blacklist_characters='"\\'),
        st.builds(lambda char: "\\" + char, st.characters()),
        st.sampled_from(["and", "OR", "sortBy", " ", "(", ")", "=", "<>", "/", "*", "?", "^"]),
    ),
    max_size=6,
).map("".join)
# names of relations and modifiers: keywords among them, as the grammar allows
NAME = st.text(alphabet="abcXYZäß.-_09*?^\\", min_size=1, max_size=8) | st.sampled_from(
    sorted(KEYWORDS)
)
MODIFIERS = st.lists(
    st.one_of(
        st.builds(Modifier, NAME),
        st.builds(Modifier, NAME, st.sampled_from(COMPARISONS), RAW),
    ),
    max_size=2,
).map(tuple)
PREFIXES = st.lists(st.builds(PrefixAssignment, st.none() | RAW, RAW), max_size=2).map(tuple)
CLAUSE = st.builds(
    SearchClause,
    st.just(SERVER_CHOICE) | RAW,
    st.just(Relation("=")) | st.builds(Relation, st.sampled_from(COMPARISONS) | NAME, MODIFIERS),
    st.builds(Term, RAW),
    PREFIXES,
)
NODE = st.recursive(
    CLAUSE,
    lambda children: st.builds(
        Boolean, st.sampled_from(BOOLEANS), children, children, MODIFIERS, PREFIXES
    ),
    max_leaves=6,
)
QUERY = st.builds(
    Query, NODE, st.lists(st.builds(SortKey, RAW, MODIFIERS), max_size=2).map(tuple), PREFIXES
)


@settings(max_examples=100, deadline=None)
@given(QUERY)
def test_generated_tree_round_trips_through_to_cql(query: Query) -> None:
    assert parse(to_cql(query)) == query
