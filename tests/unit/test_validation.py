"""Field validation: NHS numbers, postcodes, "prefer not to say", dates, districts."""

from __future__ import annotations

from datetime import date

import pytest

from keyworker.db.caseload import PREFER_NOT_TO_SAY
from keyworker.residents import turns_adult_on, under_age_message, validate_resident
from keyworker.validation import nhs_number_valid, normalise_postcode, parse_date


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_nhs_numbers(number: str) -> None:
    assert nhs_number_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "123456789", "94347659190", "abcdefghij", "", None])
def test_invalid_nhs_numbers(number: str | None) -> None:
    assert not nhs_number_valid(number)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("pr1 2ab", "PR1 2AB"),
        ("PR12AB", "PR1 2AB"),
        ("bb11 1aa", "BB11 1AA"),
        ("  la1  4yw ", "LA1 4YW"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
    ],
)
def test_postcodes_normalised(raw: str, clean: str) -> None:
    assert normalise_postcode(raw) == clean


@pytest.mark.parametrize("raw", ["PR1", "12345", "PR1 2A", "QQ1 1AA", "PR1 2AB X", ""])
def test_bad_postcodes(raw: str) -> None:
    assert normalise_postcode(raw) is None


def test_uk_and_iso_dates() -> None:
    assert parse_date("31/12/1990") == parse_date("1990-12-31") == date(1990, 12, 31)
    with pytest.raises(ValueError):
        parse_date("31/02/1990")


def base(**over: object) -> dict[str, object]:
    d: dict[str, object] = {"given_name": "Jane", "family_name": "Doe", "date_of_birth": "04/03/1990"}
    d.update(over)
    return d


def test_prefer_not_to_say_is_kept_and_blank_is_none() -> None:
    values, errors = validate_resident(
        base(sex="prefer not to say", ethnicity="", religion=None, nationality="Prefer not to say"),
        today=date(2026, 1, 5),
    )
    assert errors == {}
    assert values["sex"] == PREFER_NOT_TO_SAY
    assert values["nationality"] == PREFER_NOT_TO_SAY
    assert values["ethnicity"] is None and values["religion"] is None


def test_every_field_gets_a_message_by_name() -> None:
    _, errors = validate_resident(
        {
            "given_name": " ",
            "date_of_birth": "yesterday",
            "nhs_number": "9434765918",
            "postcode": "nowhere",
            "sex": "Robot",
            "district": "12345",
            "primary_substance": "Tea",
            "next_of_kin_phone": "call me",
        },
        today=date(2026, 1, 5),
    )
    assert set(errors) >= {
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "postcode",
        "sex",
        "district",
        "primary_substance",
        "next_of_kin_phone",
    }
    assert "check digit" in errors["nhs_number"]
    assert "required" in errors["family_name"]


def test_districts_lancashire_or_another_authority() -> None:
    values, _ = validate_resident(base(district="south ribble"), today=date(2026, 1, 5))
    assert values["district"] == "South Ribble" and values["district_in_lancashire"] is True
    values, _ = validate_resident(base(district="Blackburn with Darwen"), today=date(2026, 1, 5))
    assert values["district"] == "Blackburn with Darwen" and values["district_in_lancashire"] is False


def test_under_18_on_admission_is_refused_naming_the_day_they_turn_18() -> None:
    """5.1.1.1: 18 or over on the date of admission, with no exception (no override reason)."""
    _, errors = validate_resident(
        base(date_of_birth="06/01/2008"), admitted_on=date(2026, 1, 5), today=date(2026, 1, 5)
    )
    assert errors["date_of_birth"] == (
        "Under 18 on the admission date (05/01/2026): they turn 18 on 06/01/2026. "
        "Only people aged 18 or over on the date of admission can be admitted."
    )
    _, errors = validate_resident(
        base(date_of_birth="05/01/2008"), admitted_on=date(2026, 1, 5), today=date(2026, 1, 5)
    )
    assert errors == {}  # 18 on the day
    # A reason given as before changes nothing.
    _, errors = validate_resident(
        {**base(date_of_birth="06/01/2008"), "age_override_reason": "Agreed with the Authority"},
        admitted_on=date(2026, 1, 5),
        today=date(2026, 1, 5),
    )
    assert "turn 18 on 06/01/2026" in errors["date_of_birth"]


def test_born_on_29_february_turns_18_on_1_march_in_a_common_year() -> None:
    assert turns_adult_on(date(2008, 2, 29)) == date(2026, 3, 1)
    assert under_age_message(date(2008, 2, 29), date(2026, 2, 28)) is not None
    assert under_age_message(date(2008, 2, 29), date(2026, 3, 1)) is None


def test_other_substances_with_routes() -> None:
    values, errors = validate_resident(
        base(other_substances="cannabis:smoked; Alcohol"), today=date(2026, 1, 5)
    )
    assert errors == {}
    assert '"Cannabis"' in values["other_substances"] and '"Smoked"' in values["other_substances"]
    _, errors = validate_resident(base(other_substances=[("Alcohol", "Teleported")]), today=date(2026, 1, 5))
    assert "route" in errors["other_substances"]


# -- item 11: length before pattern, nothing worse than linear ---------------------------------
# pytest-timeout turns a quadratic validator into a failure; no time is asserted.
REFERRAL_TEXT_FIELDS = ("given_name", "family_name", "referrer_name", "referrer_organisation", "referrer_email",
                        "referrer_phone", "community_treatment_provider", "category", "assessment_summary",
                        "external_id", "date_of_birth", "received_at")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", [100_000, 1_000_000])
def test_a_huge_email_gets_the_length_message(size: int) -> None:
    from datetime import datetime

    from keyworker.clock import LONDON
    from keyworker.referrals import validate_referral

    # A run of dots after the @ made the old pattern backtrack quadratically (100 KB: minutes).
    for email in ("a@" + "." * size + " x", "a@" + "a." * (size // 2) + "@"):
        _, errors = validate_referral({"referrer_email": email}, now=datetime(2026, 1, 5, 9, tzinfo=LONDON))
        assert errors["referrer_email"] == "Referrer's email must be 200 characters or fewer."


@pytest.mark.timeout(60)
def test_every_referral_and_resident_field_refuses_a_megabyte_by_its_length() -> None:
    from datetime import datetime

    from keyworker.clock import LONDON
    from keyworker.referrals import validate_referral

    huge = "Preston. " * 120_000  # about 1 MB
    _, errors = validate_referral({f: huge for f in REFERRAL_TEXT_FIELDS},
                                  now=datetime(2026, 1, 5, 9, tzinfo=LONDON))
    assert set(errors) == set(REFERRAL_TEXT_FIELDS)
    assert all("characters or fewer" in m for m in errors.values()), errors
    fields = ("given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number",
              "sex", "ethnicity", "nationality", "postcode", "district", "gp_practice", "next_of_kin_name",
              "next_of_kin_phone", "next_of_kin_address", "primary_substance", "primary_route",
              "other_substances", "external_id")
    _, errors = validate_resident({f: huge for f in fields}, today=date(2026, 1, 5))
    assert set(errors) == set(fields)
    assert all("characters or fewer" in m for m in errors.values()), errors


def test_email_check_without_a_pattern_keeps_its_rules() -> None:
    from keyworker.validation import email_valid

    assert email_valid("priya.shah@lancashire.gov.uk") and email_valid("a@b.co")
    for bad in ("priya", "a@b", "a@.b", "a@b.", "@b.co", "a@@b.co", "a b@c.de", "a@b@c.de", "x" * 195 + "@b.co.uk.x"):
        assert not email_valid(bad), bad


# -- item 13 at the form level: a value of the wrong type gets a message, not an exception ------
def test_wrong_types_in_a_resident_form_are_named_in_plain_words() -> None:
    _, errors = validate_resident(
        base(given_name=42, other_substances=[["Cannabis", 1]], sex=["Female"], postcode=3, district={"x": 1},
             nhs_number=9434765919),
        today=date(2026, 1, 5),
    )
    assert errors == {
        "given_name": "Given name must be text.",
        "other_substances": "Other substances: each entry must be a name, with an optional route.",
        "sex": "Sex must be text.",
        "postcode": "Residential postcode must be text.",
        "district": "District must be text.",
    }


# -- item 14: dates within a sensible range, said in UK format ---------------------------------
def test_dates_out_of_range_say_the_range() -> None:
    _, errors = validate_resident(base(date_of_birth="31/12/1899"), today=date(2026, 1, 5))
    assert errors["date_of_birth"] == "Date of birth must be between 01/01/1900 and 05/01/2026."
    from datetime import datetime

    from keyworker.clock import LONDON
    from keyworker.referrals import validate_admission, validate_referral

    _, errors = validate_referral({"received_at": "0001-01-01"}, now=datetime(2026, 1, 5, 9, tzinfo=LONDON))
    assert errors["received_at"] == "Date and time received cannot be before 01/01/2000."
    _, errors = validate_admission({"admitted_on": "01/01/1999"}, today=date(2026, 1, 5))
    assert errors["admitted_on"] == "Admission date must be between 01/01/2000 and 05/01/2026."
