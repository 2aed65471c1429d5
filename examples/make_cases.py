"""Write the example case files in this folder (`python examples/make_cases.py`).

The diaries are built block by block: each block gives exact counts of
migraine days, other headache days, short headaches that are not headache
days, headache-free days and unrecorded days, and of acute-medication days
per class, placed at seeded-random dates inside the block. The blocks line
up with the windows of the assessment (baseline, the windows before it,
each cycle's weeks 1-4, 5-8 and 9-12), so the expected numbers can be
checked by hand from the tables below; see examples/README.md.

After changing a case, regenerate the expected outputs with
`python examples/make_cases.py --expected` and check them by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POLICIES = ("us-label", "us-payer", "nice-ta260", "ehf-2018")
D = dt.date.fromisoformat


def _med(name: str, drug_class: str, effective: bool | None) -> dict[str, Any]:
    return {"name": name, "class": drug_class, "effective": effective}


DRUG_NAMES = {
    "triptan": "sumatriptan",
    "simple_analgesic": "ibuprofen",
    "combination_analgesic": "paracetamol-caffeine",
    "opioid": "codeine",
    "gepant": "rimegepant",
}


def block(
    rng: random.Random,
    start: dt.date,
    length: int = 28,
    *,
    recorded: int = 28,
    migraine: int = 0,
    headache: int = 0,
    short: int = 0,
    meds: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Diary entries for `length` days from `start` with exact counts.

    `migraine` migraine days, `headache` headache days that are not migraine
    days, `short` headaches under 4 h that are not headache days, the rest of
    the `recorded` days headache-free. `meds[class]` acute-medication days:
    triptans go on migraine days (then other headache days, never effective
    there), other classes on headache days without a triptan first.
    """
    assert migraine + headache + short <= recorded <= length
    offsets = sorted(rng.sample(range(length), recorded))
    kinds = ["migraine"] * migraine + ["headache"] * headache + ["short"] * short
    kinds += ["free"] * (recorded - len(kinds))
    rng.shuffle(kinds)
    days = dict(zip(offsets, kinds, strict=True))
    taken: dict[int, list[dict[str, Any]]] = {offset: [] for offset in offsets}
    meds = meds or {}
    by_kind = {k: [o for o in offsets if days[o] == k] for k in ("migraine", "headache", "short")}
    triptans = meds.get("triptan", 0)
    candidates = rng.sample(by_kind["migraine"], len(by_kind["migraine"]))
    candidates += rng.sample(by_kind["headache"], len(by_kind["headache"]))
    assert triptans <= len(candidates), "more triptan days than headache days"
    for offset in candidates[:triptans]:
        effective = rng.choice([True, False, None]) if days[offset] == "migraine" else False
        taken[offset].append(_med("sumatriptan", "triptan", effective))
    for drug_class, count in meds.items():
        if drug_class == "triptan":
            continue
        pool = [o for o in offsets if days[o] != "free"]
        rng.shuffle(pool)
        pool.sort(key=lambda o: len(taken[o]))  # days without medication first
        assert count <= len(pool), f"more {drug_class} days than headaches"
        for offset in pool[:count]:
            taken[offset].append(_med(DRUG_NAMES[drug_class], drug_class, rng.choice([True, None])))
    return [_day(rng, start + dt.timedelta(days=o), days[o], taken[o]) for o in offsets]


def _day(
    rng: random.Random, date: dt.date, kind: str, meds: list[dict[str, Any]]
) -> dict[str, Any]:
    entry: dict[str, Any] = {"date": date.isoformat()}
    if kind == "free":
        entry["headache_hours"] = 0
        return entry
    if kind == "migraine":
        variant = rng.choice(["definite", "definite", "definite", "probable", "short", "aura"])
        if variant == "definite":  # 2+ pain features and nausea or photo+phonophobia
            entry.update(
                headache_hours=rng.choice([4, 5.5, 6, 8, 10, 14]),
                peak_intensity=rng.choice(["moderate", "severe"]),
                unilateral=rng.random() < 0.6,
                pulsating=True,
                aggravated_by_activity=rng.random() < 0.5,
                nausea=rng.random() < 0.7,
                photophobia=True,
                phonophobia=True,
            )
        elif variant == "probable":  # 4 h or more, 2 pain features, no D
            entry.update(
                headache_hours=rng.choice([4, 5, 7.5]),
                peak_intensity="moderate",
                pulsating=True,
                photophobia=rng.random() < 0.5,
            )
        elif variant == "short":  # under 4 h but definite features
            entry.update(
                headache_hours=rng.choice([1.5, 2, 3]),
                peak_intensity="severe",
                unilateral=True,
                vomiting=True,
            )
        else:  # typical aura with a mild headache
            entry.update(
                headache_hours=rng.choice([1, 2.5]),
                peak_intensity="mild",
                aura_minutes=rng.choice([5, 20, 45, 60]),
            )
    elif kind == "headache":  # 4 h or more (or triptan), at most one pain feature, no D
        treated = any(m["class"] == "triptan" for m in meds)
        entry.update(
            headache_hours=rng.choice([1.5, 2, 3]) if treated else rng.choice([4, 5, 6.5, 9]),
            peak_intensity=rng.choice(["mild", "moderate"]),
            photophobia=rng.random() < 0.3,
        )
    else:  # short: under 4 h, no features, no triptan: not a headache day
        entry.update(headache_hours=rng.choice([0.5, 1, 2, 3.5]), peak_intensity="mild")
    if meds:
        entry["acute_medications"] = meds
    return entry


def case(
    assessed_on: str,
    birth_date: str,
    diary: list[dict[str, Any]],
    **fields: Any,
) -> dict[str, Any]:
    patient = {"birth_date": birth_date, "sex": fields.pop("sex", "female")}
    if "chronic_headache_since" in fields:
        patient["chronic_headache_since"] = fields.pop("chronic_headache_since")
    doc: dict[str, Any] = {
        "format": "cephalog.case/1",
        "assessed_on": assessed_on,
        "patient": patient,
    }
    doc.update(fields)
    doc["diary"] = sorted(diary, key=lambda e: e["date"])
    return doc


def plus(date: str, days: int) -> dt.date:
    return D(date) + dt.timedelta(days=days)


def cm_overuse_review() -> dict[str, Any]:
    """Chronic migraine with triptan overuse, no injection yet: eligible for review."""
    rng = random.Random(1)
    diary = (
        block(rng, D("2026-01-07"), recorded=27, migraine=12, headache=8, short=2,
              meds={"triptan": 11, "simple_analgesic": 6})
        + block(rng, D("2026-02-04"), recorded=26, migraine=11, headache=9, short=1,
                meds={"triptan": 12, "simple_analgesic": 5})
        + block(rng, D("2026-03-04"), recorded=28, migraine=13, headache=7, short=2,
                meds={"triptan": 12, "simple_analgesic": 6, "gepant": 2})
    )  # fmt: skip
    return case(
        "2026-03-31",
        "1980-09-14",
        diary,
        chronic_headache_since="2024-06-01",
        preventives=[
            {
                "name": "topiramate",
                "class": "antiepileptic",
                "start": "2024-07-01",
                "stop": "2024-10-15",
                "outcome": "inadequate_response",
            },
            {
                "name": "propranolol",
                "class": "beta_blocker",
                "start": "2024-11-01",
                "stop": "2024-12-01",
                "outcome": "intolerance",
            },
            {
                "name": "amitriptyline",
                "class": "antidepressant",
                "start": "2025-01-10",
                "stop": "2025-05-01",
                "outcome": "inadequate_response",
            },
            {
                "name": "candesartan",
                "class": "arb_ace",
                "start": "2025-06-01",
                "stop": None,
                "outcome": "ongoing",
            },
        ],  # fmt: skip
    )


def nonresponder_four_cycles() -> dict[str, Any]:
    """Four cycles (the third 70 days after the second) with under 30% fewer headache days."""
    rng = random.Random(2)
    inj = ["2025-01-06", "2025-03-31", "2025-06-09", "2025-09-01"]
    diary = (
        block(rng, D("2024-10-14"), recorded=22, migraine=10, headache=7, meds={"triptan": 6})
        + block(rng, D("2024-11-11"), recorded=27, migraine=12, headache=8)
        + block(rng, D("2024-12-09"), recorded=28, migraine=14, headache=8,
                meds={"triptan": 8, "simple_analgesic": 6})  # baseline
        # cycle 1
        + block(rng, plus(inj[0], 0), migraine=8, headache=5, short=2, meds={"triptan": 7})
        + block(rng, plus(inj[0], 28), migraine=6, headache=4, short=3, meds={"triptan": 6})
        + block(rng, plus(inj[0], 56), recorded=26, migraine=8, headache=6, meds={"triptan": 7})
        # cycle 2, the next injection 70 days later: outcome window = days 42-69
        + block(rng, plus(inj[1], 0), 42, recorded=40, migraine=10, headache=9, short=2)
        + block(rng, plus(inj[1], 42), migraine=9, headache=8, meds={"triptan": 8})
        # cycle 3
        + block(rng, plus(inj[2], 0), migraine=7, headache=5)
        + block(rng, plus(inj[2], 28), migraine=8, headache=6, meds={"triptan": 6})
        + block(rng, plus(inj[2], 56), recorded=24, migraine=9, headache=6, meds={"triptan": 7})
        # cycle 4, then 22 days to assessed_on
        + block(rng, plus(inj[3], 0), migraine=8, headache=6)
        + block(rng, plus(inj[3], 28), migraine=8, headache=7, meds={"triptan": 7})
        + block(rng, plus(inj[3], 56), migraine=9, headache=7, meds={"triptan": 7})
        + block(rng, plus(inj[3], 84), 22, recorded=20, migraine=8, headache=5)
    )  # fmt: skip
    return case(
        "2025-12-15",
        "1972-03-03",
        diary,
        chronic_headache_since="2021-01-01",
        preventives=[
            {"name": "topiramate", "class": "antiepileptic", "outcome": "intolerance"},
            {
                "name": "propranolol",
                "class": "beta_blocker",
                "start": "2022-02-01",
                "stop": "2022-06-01",
                "outcome": "inadequate_response",
            },
            {
                "name": "amitriptyline",
                "class": "antidepressant",
                "start": "2023-01-01",
                "stop": "2023-05-01",
                "outcome": "inadequate_response",
            },
            {
                "name": "erenumab",
                "class": "cgrp_mab",
                "start": "2024-01-01",
                "stop": "2024-06-01",
                "outcome": "inadequate_response",
            },
        ],  # fmt: skip
        injections=[{"date": d, "units": 155, "sites": 31} for d in inj],
    )


def second_cycle_review() -> dict[str, Any]:
    """Cycle 2 short of 30%, cycle 3 in progress: EHF allows one more cycle, NICE stops."""
    rng = random.Random(3)
    inj = ["2025-03-03", "2025-05-26", "2025-08-18"]
    diary = (
        block(rng, D("2024-12-09"), recorded=25, migraine=10, headache=7)
        + block(rng, D("2025-01-06"), recorded=27, migraine=9, headache=8)
        + block(rng, D("2025-02-03"), migraine=12, headache=8, short=3,
                meds={"triptan": 6, "combination_analgesic": 4})  # baseline
        + block(rng, plus(inj[0], 0), migraine=7, headache=6)
        + block(rng, plus(inj[0], 28), migraine=6, headache=5)
        + block(rng, plus(inj[0], 56), recorded=26, migraine=7, headache=6)
        + block(rng, plus(inj[1], 0), migraine=7, headache=5)
        + block(rng, plus(inj[1], 28), migraine=7, headache=6)
        + block(rng, plus(inj[1], 56), migraine=8, headache=7, meds={"triptan": 5})
        + block(rng, plus(inj[2], 0), 44, recorded=40, migraine=10, headache=8)
    )  # fmt: skip
    return case(
        "2025-09-30",
        "1990-11-30",
        diary,
        medications=[
            {"name": "tizanidine", "class": "muscle_relaxant", "start": "2024-10-01",
             "stop": None},
            {"name": "amikacin", "class": "aminoglycoside", "start": "2025-06-01",
             "stop": "2025-06-14"},
        ],
        preventives=[
            {"name": "propranolol", "class": "beta_blocker", "start": "2023-03-01",
             "stop": "2023-09-01", "outcome": "inadequate_response"},
            {"name": "Propranolol", "class": "beta_blocker", "start": "2024-01-01",
             "stop": "2024-02-01", "outcome": "intolerance"},
            {"name": "topiramate", "class": "antiepileptic", "start": "2024-03-01",
             "stop": "2024-08-01", "outcome": "intolerance"},
            {"name": "atogepant", "class": "gepant", "start": "2025-04-01",
             "stop": None, "outcome": "inadequate_response"},
        ],
        injections=[{"date": d, "units": 155, "sites": 31} for d in inj],
    )  # fmt: skip


def ineligible_hard_stops() -> dict[str, Any]:
    """A 17-year-old with toxin allergy, infected injection sites, flags and overuse."""
    rng = random.Random(4)
    meds = {"triptan": 6, "simple_analgesic": 6}
    diary = (
        block(rng, D("2026-03-09"), migraine=10, headache=8, short=1, meds=meds)
        + block(rng, D("2026-04-06"), recorded=27, migraine=11, headache=6, meds=meds)
        + block(rng, D("2026-05-04"), migraine=9, headache=8, short=2, meds=meds)
    )
    return case(
        "2026-05-31",
        "2008-09-15",
        diary,
        sex="male",
        chronic_headache_since="2025-09-01",
        conditions=["myasthenia_gravis", "injection_site_infection"],
        allergies=["botulinum_toxin"],
        medications=[
            {"name": "gentamicin", "class": "aminoglycoside", "start": "2026-05-20",
             "stop": None},
            {"name": "baclofen", "class": "muscle_relaxant", "start": "2025-10-01",
             "stop": "2026-01-01"},
        ],
        preventives=[
            {"name": "amitriptyline", "class": "antidepressant", "start": "2025-10-01",
             "stop": "2026-01-15", "outcome": "inadequate_response"},
        ],
        toxin_exposures=[{"date": "2026-03-10", "units": 50, "indication": "spasticity"}],
    )  # fmt: skip


def converted_to_episodic() -> dict[str, Any]:
    """Five cycles with a growing response, then three months under 10 headache days."""
    rng = random.Random(5)
    inj = ["2024-09-02", "2024-11-25", "2025-02-17", "2025-05-12", "2025-08-04"]
    blocks = [  # (migraine, headache, recorded) for weeks 1-4, 5-8, 9-12 of each cycle
        [(9, 7, 28), (8, 6, 28), (8, 6, 28)],
        [(7, 6, 28), (7, 5, 28), (6, 6, 28)],
        [(6, 5, 28), (5, 5, 28), (5, 5, 28)],
        [(5, 5, 28), (4, 5, 28), (4, 5, 28)],
        [(3, 4, 28), (2, 4, 28), (3, 5, 28)],
    ]
    diary = (
        block(rng, D("2024-06-10"), recorded=24, migraine=11, headache=6)
        + block(rng, D("2024-07-08"), recorded=26, migraine=12, headache=7)
        + block(rng, D("2024-08-05"), migraine=12, headache=9, short=2,
                meds={"triptan": 9, "simple_analgesic": 5})  # baseline
    )  # fmt: skip
    for date, cycle in zip(inj, blocks, strict=True):
        for i, (migraine, headache, recorded) in enumerate(cycle):
            diary += block(
                rng,
                plus(date, 28 * i),
                recorded=recorded,
                migraine=migraine,
                headache=headache,
                short=1,
                meds={"triptan": max(migraine - 1, 0)},
            )
    return case(
        "2025-10-26",
        "1968-01-29",
        diary,
        chronic_headache_since="2019-05-01",
        preventives=[
            {"name": "topiramate", "class": "antiepileptic", "start": "2020-01-01",
             "stop": "2020-05-01", "outcome": "inadequate_response"},
            {"name": "candesartan", "class": "arb_ace", "start": "2021-01-01",
             "stop": "2021-03-01", "outcome": "intolerance"},
            {"name": "nortriptyline", "class": "antidepressant", "start": "2022-01-01",
             "stop": "2022-02-01", "outcome": "contraindicated"},
        ],
        injections=[{"date": d, "units": 155, "sites": 31} for d in inj],
    )  # fmt: skip


def sparse_diary() -> dict[str, Any]:
    """A paper diary with gaps: the baseline cannot be evaluated."""
    rng = random.Random(6)
    inj = ["2025-04-07", "2025-06-30"]
    diary = (
        block(rng, D("2025-02-10"), recorded=12, migraine=4, headache=3)
        + block(rng, D("2025-03-10"), recorded=15, migraine=6, headache=4,
                meds={"triptan": 5})  # baseline: 15 of 28 days
        + block(rng, plus(inj[0], 0), recorded=18, migraine=5, headache=3)
        + block(rng, plus(inj[0], 28), recorded=21, migraine=5, headache=4)
        + block(rng, plus(inj[0], 56), recorded=17, migraine=4, headache=4)
        + block(rng, plus(inj[1], 0), recorded=10, migraine=3, headache=2)
        + block(rng, plus(inj[1], 28), recorded=14, migraine=3, headache=3)
        + block(rng, plus(inj[1], 56), recorded=22, migraine=5, headache=3)
        + block(rng, plus(inj[1], 84), 23, recorded=9, migraine=2, headache=2)
    )  # fmt: skip
    return case(
        "2025-10-15",
        "1985-07-07",
        diary,
        preventives=[
            {"name": name, "class": cls, "start": "2023-01-01", "stop": "2023-06-01",
             "outcome": "inadequate_response"}
            for name, cls in (("topiramate", "antiepileptic"), ("metoprolol", "beta_blocker"),
                              ("venlafaxine", "antidepressant"))
        ],
        injections=[{"date": d, "units": 155} for d in inj],
    )  # fmt: skip


def spec_example() -> dict[str, Any]:
    """The case of spec section 1, verbatim."""
    return json.loads((HERE / "spec-example.json").read_text())


CASES = {
    "cm-overuse-review": cm_overuse_review,
    "nonresponder-four-cycles": nonresponder_four_cycles,
    "second-cycle-review": second_cycle_review,
    "ineligible-hard-stops": ineligible_hard_stops,
    "converted-to-episodic": converted_to_episodic,
    "sparse-diary": sparse_diary,
}


def write_cases() -> None:
    for name, make in CASES.items():
        (HERE / f"{name}.json").write_text(json.dumps(make(), indent=1) + "\n")


def write_expected() -> None:
    for path in sorted(HERE.glob("*.json")):
        if path.name.endswith(".expected.json"):
            continue
        for policy in POLICIES:
            # standard-1 keeps its released file names; standard-2 adds `.standard-2`.
            for ruleset, suffix in (("standard-1", ""), ("standard-2", ".standard-2")):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "cephalog.assess_cli",
                        str(path),
                        "--policy",
                        policy,
                        "--ruleset",
                        ruleset,
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                (HERE / f"{path.stem}.{policy}{suffix}.expected.json").write_text(out)


if __name__ == "__main__":
    write_cases()
    if "--expected" in sys.argv:
        write_expected()
