import pytest

from sandbox.oneroster.filters import FilterError, parse_filter

RECORD = {
    "sourcedId": "u1",
    "dateLastModified": "2025-08-01T10:00:00.000Z",
    "givenName": "Ada",
    "score": 3.5,
    "class": {"sourcedId": "k1", "type": "class"},
    "grades": ["09", "10"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dateLastModified>'2025-08-01T09:59:59Z'", True),
        ("dateLastModified>'2025-08-01T10:00:00.000Z'", False),
        ("dateLastModified>='2025-08-01T10:00:00Z'", True),
        ("givenName='Ada'", True),
        ("givenName!='Ada'", False),
        ("givenName~'da'", True),
        ("score>'3'", True),
        ("score<='3'", False),
        ("class='k1'", True),
        ("grades='10'", True),
        ("givenName='Ben' OR class='k1'", True),
        ("givenName='Ada' AND class='k2'", False),
        ("givenName='Ben' AND class='k1' OR score='3.5'", True),
        ("middleName!='x'", True),
    ],
)
def test_predicates(text, expected):
    assert parse_filter(text)(RECORD) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("givenName=Ada", "cannot read"), ("shoe='9'", "not a field"), ("givenName=='x'", "cannot read")],
)
def test_bad_filters_say_why(text, message):
    with pytest.raises(FilterError, match=message):
        parse_filter(text, fields=set(RECORD))(RECORD)


def test_a_bad_date_is_a_filter_error():
    with pytest.raises(FilterError, match="not a date"):
        parse_filter("dateLastModified>'yesterday'")(RECORD)
