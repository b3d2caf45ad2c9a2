"""Invented vocabulary for the demo unit (keyworker/demo/): names, places, medicines, reasons.
Nothing here is about a real person."""

from __future__ import annotations

import random

GIVEN_M = [
    "James",
    "John",
    "David",
    "Michael",
    "Daniel",
    "Paul",
    "Mark",
    "Lee",
    "Craig",
    "Ryan",
    "Liam",
    "Jamie",
    "Adam",
    "Kieran",
    "Stephen",
    "Gary",
    "Wayne",
    "Imran",
    "Mohammed",
    "Tomasz",
    "Piotr",
    "Connor",
    "Sean",
    "Dean",
    "Shaun",
    "Carl",
    "Jason",
    "Ben",
    "Tom",
    "Nathan",
]
GIVEN_F = [
    "Sarah",
    "Emma",
    "Claire",
    "Lisa",
    "Michelle",
    "Laura",
    "Kelly",
    "Gemma",
    "Nicola",
    "Rachel",
    "Amy",
    "Leanne",
    "Jade",
    "Stacey",
    "Hannah",
    "Aisha",
    "Fatima",
    "Joanne",
    "Donna",
    "Kerry",
    "Zoe",
    "Chloe",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Hughes",
    "Ashworth",
    "Holden",
    "Pilling",
    "Hargreaves",
    "Whittaker",
    "Entwistle",
    "Duckworth",
    "Haworth",
    "Hussain",
    "Patel",
    "Khan",
    "Ahmed",
    "Kowalski",
    "Nowak",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Lord",
    "Crossley",
    "Nuttall",
]
# Postcode districts by Lancashire district (outward codes), so postcodes look local.
OUTWARD = {
    "Burnley": ["BB10", "BB11", "BB12"],
    "Chorley": ["PR6", "PR7"],
    "Fylde": ["FY8", "PR4"],
    "Hyndburn": ["BB5"],
    "Lancaster": ["LA1", "LA3", "LA4", "LA5"],
    "Pendle": ["BB8", "BB9"],
    "Preston": ["PR1", "PR2"],
    "Ribble Valley": ["BB7"],
    "Rossendale": ["BB4"],
    "South Ribble": ["PR5", "PR25", "PR26"],
    "West Lancashire": ["L39", "L40", "WN8"],
    "Wyre": ["FY5", "FY6", "PR3"],
}
OTHER_AUTHORITIES = [
    ("Blackpool", "FY1"),
    ("Blackburn with Darwen", "BB2"),
    ("Cumberland", "CA1"),
    ("Wigan", "WN1"),
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
CTPS = ["Inspire Lancashire", "CGL Lancashire", "Red Rose Recovery", "Lancashire & South Cumbria NHS FT"]
REFERRERS = ["Pat Fielding", "Chris Mercer", "Jordan Ainsworth", "Sam Bamber", "Alex Catterall", "Jo Rigby"]
MEDICINES = [
    ("Sertraline", "50 mg", "once daily"),
    ("Mirtazapine", "15 mg", "at night"),
    ("Thiamine", "100 mg", "three times daily"),
    ("Omeprazole", "20 mg", "once daily"),
    ("Quetiapine", "25 mg", "at night"),
    ("Salbutamol inhaler", "100 micrograms", "as needed"),
    ("Acamprosate", "666 mg", "three times daily"),
    ("Naltrexone", "50 mg", "once daily"),
    ("Vitamin B compound strong", "1 tablet", "three times daily"),
    ("Propranolol", "10 mg", "twice daily"),
]
PRESCRIBERS = ["Dr Ahmed (GP)", "Dr Clarke (unit GP)", "Dr Nowak (psychiatrist)", "Unit nurse prescriber"]
DECLINE_REASONS = {
    "eligibility": (
        "The referral shows the service user lives outside the Lancashire County Council boundary "
        "and no ordinary residence has been demonstrated."
    ),
    "not_abstinent": (
        "The assessment shows continuing daily use; detoxification needs to be completed before "
        "admission to the unit."
    ),
    "mental_health": (
        "The current mental health presentation is not yet stable enough for the service user to "
        "engage with a group-based programme."
    ),
    "risk": (
        "The risk history described in the assessment cannot be managed safely alongside current residents."
    ),
    "needs_not_met": "The physical health needs described require nursing care the unit cannot provide.",
    "no_vacancy": "There is no suitable place available within the time the referral needs.",
    "incomplete_referral": (
        "The referral arrived without the risk assessment and recovery plan; we cannot assess "
        "suitability without them."
    ),
    "service_user_declined": (
        "The service user told us at the pre-admission call that they no longer wish to come."
    ),
    "other": "The referral is better suited to a day programme nearer to the service user's home and family.",
}

GP_NAMES = ["Park", "Moor", "Ribble", "Castle", "Bridge"]


def invent_person(rng: random.Random) -> tuple[str, str, str]:
    """Given name, family name and sex (three in ten women)."""
    sex = "Female" if rng.random() < 0.3 else "Male"
    given = rng.choice(GIVEN_F if sex == "Female" else GIVEN_M)
    return given, rng.choice(FAMILY), sex
