"""An area's simulated history as an extract taken on an as-at date.

The simulation runs past the as-at date; an extract shows only what was known on it:
episodes that started by then (those still running have no end and no REC), assessments
requested by then (an outcome after it shows as ``pending``), registrations and referrals
as they stood, SDQs done. Nothing dated after the as-at date is ever shown.

``AreaData`` holds the true history as numpy columns (dates as ordinals, 0 = none);
``view(as_at)`` returns an ``ExtractView`` of typed columns, still format-free, which
``pipelines.synth.formats`` turns into files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import numpy as np

from pipelines.synth.codes import sex_codes
from pipelines.synth.health import HealthRecords
from pipelines.synth.population import CareHistory


def _column(rows: list[tuple], index: int, dtype=object) -> np.ndarray:
    return np.array([row[index] for row in rows], dtype=dtype) if rows else np.empty(0, dtype=dtype)


@dataclass
class ExtractView:
    """One as-at extract, typed. Dates are ordinals with 0 = blank; codes are strings."""

    area_code: str
    as_at: date
    tables: dict[str, dict[str, np.ndarray]]
    month_only_dob: np.ndarray  # per children row: date of birth known to the month only
    ssda903: dict[str, dict[str, np.ndarray]]  # header / episodes extras / oc2


class AreaData:
    """The true history of one area, as columns."""

    def __init__(
        self, area_code: str, care: CareHistory, health: HealthRecords, oc2_seed: int
    ) -> None:
        self.area_code = area_code
        self.oc2_seed = oc2_seed
        self.child_id = np.array(care.child_id, dtype=object)
        self.sex = np.array(care.sex, dtype=np.int64)
        self.dob = np.array(care.dob, dtype=np.int64)
        self.dob_month_only = np.array(care.dob_month_only, dtype=bool)
        self.ethnicity = np.array(care.ethnicity, dtype=object)
        self.uasc = np.array(care.uasc, dtype=np.int64)
        self.home_post = np.array(care.home_post, dtype=object)
        self.upn = np.array(care.upn, dtype=object)
        self.mother_child_dob = np.array(care.mother_child_dob, dtype=np.int64)

        # episodes sorted by child id then start, the order an extract lists them in
        episodes = care.episodes
        ep_child = _column(episodes, 0, np.int64)
        ep_start = _column(episodes, 1, np.int64)
        order = (
            np.lexsort((ep_start, self.child_id[ep_child].astype(str)))
            if episodes
            else np.empty(0, np.int64)
        )
        names = (
            "child",
            "start",
            "end",
            "rne",
            "ls",
            "place",
            "provider",
            "rec",
            "area",
            "distance",
            "cin",
            "rpc",
            "pl_post",
            "urn",
        )
        dtypes = {"child": np.int64, "start": np.int64, "end": np.int64, "distance": np.float64}
        self.episodes = {
            name: _column(episodes, i, dtypes.get(name, object))[order]
            for i, name in enumerate(names)
        }

        ha = health.assessments
        ha_child = _column(ha, 0, np.int64)
        ha_requested = _column(ha, 2, np.int64)
        order = (
            np.lexsort((ha_requested, self.child_id[ha_child].astype(str)))
            if ha
            else np.empty(0, np.int64)
        )
        names = (
            "child",
            "type",
            "requested",
            "outcome",
            "status",
            "completed",
            "due",
            "reason",
            "provider",
        )
        dtypes = {
            "child": np.int64,
            "requested": np.int64,
            "outcome": np.int64,
            "completed": np.int64,
            "due": np.int64,
        }
        self.assessments = {
            name: _column(ha, i, dtypes.get(name, object))[order] for i, name in enumerate(names)
        }
        self.assessments["id"] = np.array([f"HA{n + 1:07d}" for n in range(len(ha))], dtype=object)

        gp = health.gp
        gp_child = _column(gp, 0, np.int64)
        gp_from = _column(gp, 3, np.int64)
        order = (
            np.lexsort((gp_from, self.child_id[gp_child].astype(str)))
            if gp
            else np.empty(0, np.int64)
        )
        names = ("child", "practice", "type", "from", "to")
        dtypes = {"child": np.int64, "from": np.int64, "to": np.int64}
        self.gp = {
            name: _column(gp, i, dtypes.get(name, object))[order] for i, name in enumerate(names)
        }

        camhs = health.camhs
        cm_child = _column(camhs, 0, np.int64)
        cm_date = _column(camhs, 1, np.int64)
        order = (
            np.lexsort((cm_date, self.child_id[cm_child].astype(str)))
            if camhs
            else np.empty(0, np.int64)
        )
        names = ("child", "referral", "decision", "outcome", "first_contact", "closed", "provider")
        dtypes = {
            "child": np.int64,
            "referral": np.int64,
            "decision": np.int64,
            "first_contact": np.int64,
            "closed": np.int64,
        }
        self.camhs = {
            name: _column(camhs, i, dtypes.get(name, object))[order] for i, name in enumerate(names)
        }
        self.camhs["id"] = np.array([f"CR{n + 1:07d}" for n in range(len(camhs))], dtype=object)

        sdq = health.sdq
        sd_child = _column(sdq, 0, np.int64)
        sd_date = _column(sdq, 1, np.int64)
        order = (
            np.lexsort((sd_date, self.child_id[sd_child].astype(str)))
            if sdq
            else np.empty(0, np.int64)
        )
        self.sdq = {
            name: _column(sdq, i, np.int64)[order]
            for i, name in enumerate(("child", "date", "score"))
        }

    def view(
        self, as_at: date, *, withheld: np.ndarray | None = None, oc2: bool = False
    ) -> ExtractView:
        """The extract as it stood on ``as_at``. ``withheld``: assessment rows (by position)
        recorded only after this date, left out although they had happened."""
        cut = as_at.toordinal()
        ep = self.episodes
        shown = ep["start"] <= cut
        ended = shown & (ep["end"] <= cut)
        in_view = np.zeros(self.child_id.shape[0], dtype=bool)
        in_view[ep["child"][shown]] = True
        children_rows = np.flatnonzero(in_view)
        children_rows = children_rows[
            np.argsort(self.child_id[children_rows].astype(str), kind="stable")
        ]

        episodes = {
            "child_id": self.child_id[ep["child"][shown]],
            "episode_start": ep["start"][shown],
            "episode_end": np.where(ended, ep["end"], 0)[shown],
            "reason_new_episode": ep["rne"][shown],
            "legal_status": ep["ls"][shown],
            "placement_type": ep["place"][shown],
            "placement_provider": ep["provider"][shown],
            "reason_episode_ceased": np.where(ended, ep["rec"], "")[shown],
            "placement_area_code": ep["area"][shown],
            "placement_distance_miles": ep["distance"][shown],
        }
        children = {
            "child_id": self.child_id[children_rows],
            "sex": sex_codes(self.sex[children_rows], as_at),
            "date_of_birth": self.dob[children_rows],
            "ethnicity": self.ethnicity[children_rows],
            "uasc": self.uasc[children_rows],
        }

        ha = self.assessments
        keep = (ha["requested"] <= cut) & in_view[ha["child"]]
        if withheld is not None and withheld.size:
            keep[withheld] = False
        known = ha["outcome"] <= cut
        status = np.where(known, ha["status"], "pending")
        completed = np.where(known, ha["completed"], 0)
        late = (
            ((status == "completed") & (completed > ha["due"]))
            | np.isin(status, ("declined", "not_attended"))
            | ((status == "cancelled") & (ha["outcome"] > ha["due"]))
            | (
                (status == "pending")
                & (ha["due"] < cut)
                & ~np.isin(ha["status"], ("declined", "not_attended"))
            )
        )
        assessments = {
            "assessment_id": ha["id"][keep],
            "child_id": self.child_id[ha["child"][keep]],
            "assessment_type": ha["type"][keep],
            "requested_date": ha["requested"][keep],
            "completed_date": completed[keep],
            "status": status[keep],
            "delay_reason": np.where(late, ha["reason"], "")[keep],
            "provider_area_code": ha["provider"][keep],
        }

        gp = self.gp
        keep = (gp["from"] <= cut) & in_view[gp["child"]]
        gp_view = {
            "child_id": self.child_id[gp["child"][keep]],
            "practice_code": gp["practice"][keep],
            "registration_type": gp["type"][keep],
            "registered_from": gp["from"][keep],
            "registered_to": np.where(gp["to"] <= cut, gp["to"], 0)[keep],
        }

        cm = self.camhs
        keep = (cm["referral"] <= cut) & in_view[cm["child"]]
        decided = cm["decision"] <= cut
        first_contact = np.where(
            (cm["first_contact"] > 0) & (cm["first_contact"] <= cut), cm["first_contact"], 0
        )
        camhs = {
            "referral_id": cm["id"][keep],
            "child_id": self.child_id[cm["child"][keep]],
            "referral_date": cm["referral"][keep],
            "referral_outcome": np.where(decided, cm["outcome"], "pending")[keep],
            "first_contact_date": first_contact[keep],
            "closed_date": np.where(cm["closed"] <= cut, cm["closed"], 0)[keep],
            "provider_area_code": cm["provider"][keep],
        }

        sd = self.sdq
        keep = (sd["date"] <= cut) & in_view[sd["child"]]
        sdq = {
            "child_id": self.child_id[sd["child"][keep]],
            "sdq_date": sd["date"][keep],
            "sdq_score": sd["score"][keep],
        }

        mother_dob = self.mother_child_dob[children_rows]
        is_mother = (mother_dob > 0) & (mother_dob <= cut)
        header = {
            "UPN": self.upn[children_rows],
            "MOTHER": np.where(self.sex[children_rows] == 2, np.where(is_mother, "1", "0"), ""),
            "MC_DOB": np.where(is_mother, mother_dob, 0),
        }
        ep_extra = {
            "CIN": ep["cin"][shown],
            "REASON_PLACE_CHANGE": np.where(ended, ep["rpc"], "")[shown],
            "HOME_POST": self.home_post[ep["child"][shown]],
            "PL_POST": ep["pl_post"][shown],
            "URN": ep["urn"][shown],
        }
        ssda903 = {"header": header, "episodes": ep_extra}
        if oc2:
            ssda903["oc2"] = self._oc2(cut, episodes, ep["child"][shown], assessments, sdq)
        return ExtractView(
            area_code=self.area_code,
            as_at=as_at,
            tables={
                "children": children,
                "episodes": episodes,
                "health_assessments": assessments,
                "gp_registrations": gp_view,
                "camhs_referrals": camhs,
                "sdq": sdq,
            },
            month_only_dob=self.dob_month_only[children_rows],
            ssda903=ssda903,
        )

    def _oc2(
        self, cut: int, episodes: dict, episode_child: np.ndarray, assessments: dict, sdq: dict
    ) -> dict[str, np.ndarray]:
        """The OC2 return for the latest 31 March on or before the as-at date: children looked
        after continuously for 12 months at 31 March (short breaks excluded)."""
        day = date.fromordinal(cut)
        year_end = date(day.year if day >= date(day.year, 3, 31) else day.year - 1, 3, 31)
        ye = year_end.toordinal()
        year_ago = date(year_end.year - 1, 3, 31).toordinal()
        start, end = episodes["episode_start"], episodes["episode_end"]
        status = episodes["legal_status"]
        rne = episodes["reason_new_episode"]
        # period start of each episode: the start of the latest RNE S episode up to it (rows
        # are sorted by child and start)
        period_start = np.where(rne == "S", start, 0)
        for i in range(1, period_start.shape[0]):
            if period_start[i] == 0 and episode_child[i] == episode_child[i - 1]:
                period_start[i] = period_start[i - 1]
        open_at_ye = (start <= ye) & ((end == 0) | (end > ye))
        eligible = open_at_ye & (period_start <= year_ago) & ~np.isin(status, ("V3", "V4"))
        short = np.isin(status, ("V3", "V4")) & (start <= ye) & ((end == 0) | (end > year_ago))
        children = np.setdiff1d(np.unique(episode_child[eligible]), np.unique(episode_child[short]))
        children = children[np.argsort(self.child_id[children].astype(str), kind="stable")]
        ids = self.child_id[children]

        done = (
            (assessments["status"] == "completed")
            & (assessments["completed_date"] > year_ago)
            & (assessments["completed_date"] <= ye)
        )
        checked = set(assessments["child_id"][done].tolist())
        in_year = (sdq["sdq_date"] > year_ago) & (sdq["sdq_date"] <= ye)
        latest: dict[str, int] = {}
        for child, score in zip(
            sdq["child_id"][in_year].tolist(), sdq["sdq_score"][in_year].tolist(), strict=True
        ):
            latest[child] = score  # rows are in date order: the last one wins
        rnd = random.Random(self.oc2_seed * 1_000_003 + ye)
        columns: dict[str, list] = {name: [] for name in (
            "CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
            "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")}  # fmt: skip
        for child, child_id in zip(children.tolist(), ids.tolist(), strict=True):
            born = int(self.dob[child])
            age = (
                year_end.year
                - date.fromordinal(born).year
                - ((date.fromordinal(born).month, date.fromordinal(born).day) > (3, 31))
            )
            score = latest.get(child_id)
            reason = ""
            if score is None:
                if age < 4 or age > 16:
                    reason = "SDQ1"
                else:
                    reason = ("SDQ4", "SDQ2", "SDQ5", "SDQ3")[min(int(rnd.random() * 10) // 3, 3)]
            misuse = age >= 10 and rnd.random() < 0.03
            columns["CHILD"].append(child_id)
            columns["DOB"].append(born)
            columns["SDQ_SCORE"].append("" if score is None else str(score))
            columns["SDQ_REASON"].append(reason)
            columns["CONVICTED"].append("1" if age >= 10 and rnd.random() < 0.02 else "0")
            # OC2 as the 903 validator reads it (rules 545/546): HEALTH_CHECK is the under-5
            # development / health promotion check, HEALTH_ASSESSMENT the annual health
            # assessment of every child in the 12-month cohort.
            columns["HEALTH_CHECK"].append(
                ("1" if rnd.random() < 0.88 else "0") if age < 5 else ""
            )
            columns["IMMUNISATIONS"].append("1" if rnd.random() < 0.82 else "0")
            columns["TEETH_CHECK"].append("1" if rnd.random() < 0.79 else "0")
            columns["HEALTH_ASSESSMENT"].append("1" if child_id in checked else "0")
            columns["SUBSTANCE_MISUSE"].append("1" if misuse else "0")
            columns["INTERVENTION_RECEIVED"].append("1" if misuse and rnd.random() < 0.4 else "0")
            columns["INTERVENTION_OFFERED"].append("1" if misuse and rnd.random() < 0.8 else "0")
        return {
            name: np.array(values, dtype=np.int64 if name == "DOB" else object)
            for name, values in columns.items()
        }
