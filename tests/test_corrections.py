"""Corrections (the contract's "Corrections"): every mistake can be taken back, nothing is erased."""
import re

from tests.fixtures_core import Chat


def _review_kpi_line(chat, name):
    out = chat.say("review")
    return next(l for l in out.splitlines() if name in l)


def test_kpi_undo_takes_the_value_out_of_every_figure_and_keeps_it_in_the_history(chat):
    chat.say("kpi add availability unit:%")
    chat.say("kpi availability 99.9")
    chat.say("kpi availability 99.95", user="mark")
    assert chat.say("kpi availability 0.999") == "availability: 99.9% -> 0.999% (worse)"
    out = chat.say("kpi undo availability")
    assert out == ("took back availability 0.999% (it stays in the history);"
                   " now availability: 99.9% -> 99.95% (better)")
    assert chat.say("kpi list").splitlines()[1] == "availability: 99.9% -> 99.95% (better)"
    assert "0.999" not in chat.say("digest")
    assert "0.999" not in chat.say("review")
    values = chat.export()["kpis"][0]["values"]
    assert [(v["value"], v["deleted"]) for v in values] == [(99.9, False), (99.95, False), (0.999, True)]
    assert values[2]["deleted_by"] == "console:greg" and values[2]["deleted_at"].startswith("2016-01-04T10:00")


def test_kpi_undo_is_for_who_recorded_it_or_an_admin(make_chat):
    c = make_chat({"GOALKEEPER_ADMINS": "console:lila"})
    c.say("kpi add ttm unit:min better:down", user="lila")
    c.say("kpi ttm 11", user="mark")
    before = c.export()
    out = c.say("kpi undo ttm", user="greg").splitlines()
    assert out[0] == "error: only mark (who recorded 11) or an admin may take it back"
    assert out[1].startswith("usage: kpi undo <name>")
    assert c.export() == before
    assert c.say("kpi undo ttm", user="lila").startswith("took back ttm 11 min")
    assert c.say("kpi undo ttm", user="lila").startswith("error: ttm has no value left to take back")


def test_learning_edit_and_delete_keep_the_history(chat):
    chat.say("goal add Nodepool")
    chat.say("learning 1 silo effcet")
    chat.say("learning team wide lesson", user="mark")
    assert chat.say("learnings").splitlines()[1:] == ["L2 team team wide lesson (mark)", "L1 #1 silo effcet (greg)"]
    assert chat.say("learning edit L1 silo effect is strong") == "L1 now says: silo effect is strong"
    assert "learning L1: silo effect is strong (greg)" in chat.say("goal show 1")
    assert chat.say("learning delete L2", user="mark").startswith("deleted L2")
    assert chat.say("learnings").splitlines()[1:] == ["L1 #1 silo effect is strong (greg)"]
    assert "team wide lesson" not in chat.say("review")
    ls = {l["id"]: l for l in chat.export()["learnings"]}
    assert ls[1]["text"] == "silo effect is strong" and ls[1]["deleted"] is False
    assert ls[1]["history"] == [{"at": "2016-01-04T10:00:00+00:00", "by": "console:greg", "action": "edit",
                                 "changes": {"text": ["silo effcet", "silo effect is strong"]}}]
    assert ls[2]["deleted"] is True and ls[2]["text"] == "team wide lesson" and ls[2]["quarter"] == "FY2016Q3"


def test_someone_elses_learning_is_refused_and_says_who_may(make_chat):
    c = make_chat({"GOALKEEPER_ADMINS": "console:lila"})
    c.say("learning a lesson", user="mark")
    before = c.export()
    for cmd in ("learning edit L1 mine now", "learning delete L1"):
        out = c.say(cmd, user="greg").splitlines()
        assert out[0] == "error: only mark (who wrote L1) or an admin may change it"
        assert out[1].startswith("usage: learning ")
    assert c.export() == before
    assert c.say("learning edit L1 fixed by the admin", user="lila") == "L1 now says: fixed by the admin"


def test_a_learning_that_starts_with_edit_is_still_a_learning(chat):
    assert chat.say("learning edit reviews take longer than we think").startswith("learning added for team")
    assert chat.export()["learnings"][0]["text"] == "edit reviews take longer than we think"


def test_restore_brings_a_deleted_goal_back_with_its_history(chat):
    chat.say("goal add Doomed")
    chat.say("goal status 1 at-risk")
    chat.say("goal delete 1")
    shown = chat.say("goal show 1").splitlines()
    assert shown[0] == "#1 Doomed · releng · FY2016Q3 · owner greg · deleted · at-risk (yellow)"
    assert "04 Jan 10:00 greg: none -> at-risk (yellow)" in shown and shown[-1] == "04 Jan 10:00 greg: deleted"
    assert chat.say("goal restore 1") == "restored: #1 Doomed · releng · FY2016Q3 · owner greg · at-risk (yellow)"
    assert "#1 Doomed" in chat.say("goal list")
    assert chat.say("goal show 1").splitlines()[-1] == "04 Jan 10:00 greg: restored"
    history = chat.export()["goals"][0]["history"]
    assert [h["action"] for h in history] == ["create", "status", "delete", "restore"]
    assert chat.say("goal restore 1").startswith("error: #1 is not deleted")


def test_goal_show_gives_every_edit_with_old_and_new_values(chat):
    chat.say("goal add Ship it due:2016-01-08 owner:mark")
    chat.say("goal edit 1 title:Ship it now due:none owner:greg kind:core")
    last = chat.say("goal show 1").splitlines()[-1]
    assert last == ("04 Jan 10:00 greg: changed due Fri 8 Jan -> none; kind strategic -> core;"
                    " owner mark -> greg; title 'Ship it' -> 'Ship it now'")
    g = chat.export()["goals"][0]
    assert g["due"] is None and g["quarter"] == "FY2016Q3"  # due:none keeps the quarter
    assert g["history"][-1]["changes"]["due"] == ["2016-01-08", None]


def test_a_correction_after_the_close_leaves_the_review_as_it_stood(make_chat):
    c = make_chat({"GOALKEEPER_FISCAL_YEAR_START": "7"}, now="2015-12-01T10:00:00+00:00")
    c.say("kpi add ttm unit:min better:down")
    c.say("kpi ttm 11")
    c.say("kpi ttm 6")
    c.say("learning kept in the review")
    c.say("learning as it was")
    c.at("2016-01-04T10:00:00+00:00")
    c.say("review close quarter:last")
    c.at("2016-01-05T10:00:00+00:00")
    c.say("kpi undo ttm")
    c.say("learning delete L1")
    c.say("learning edit L2 rewritten later", user="greg")
    review = c.say("review quarter:last")
    assert "11 min -> 6 min" in review and "kept in the review" in review and "rewritten later" not in review
    doc = c.store.export()
    from bot.review.build import build_review
    from bot.quarters import parse_quarter

    q = parse_quarter("FY2016Q2", c.now.date(), 7)
    built = build_review(doc, "releng", q, c.now, kinds=c.config.kinds)
    assert [x.text for x in built.learnings] == ["kept in the review", "as it was"]  # as they stood at the close
    assert sorted(x.text for x in built.changed_after) == [
        "KPI ttm: value 6 taken back (greg)", "team: learning L1 deleted (greg)", "team: learning L2 edited (greg)"]
    assert "6 min" not in c.say("kpi list")  # this quarter: the value is gone


def test_export_and_import_carry_the_corrections(chat, tmp_path):
    chat.say("team set ops", channel="#ops")
    chat.say("goal add Shared thing owner:greg,mark shared:ops")
    chat.say("goal carry 1")
    chat.say("kpi add ttm")
    chat.say("kpi ttm 3")
    chat.say("kpi undo ttm")
    chat.say("learning 1 one")
    chat.say("learning edit L1 two")
    chat.say("learning delete L1")
    doc = chat.export()
    other = Chat(str(tmp_path / "other.db"), {"GOALKEEPER_FISCAL_YEAR_START": "7"})
    other.store.import_(doc)
    again = other.export()
    other.store.close()
    assert again == doc
    g1, g2 = doc["goals"]
    assert g1["owners"] == ["console:greg", "console:mark"] and g1["owner"] == "console:greg"
    assert g1["shared"] == ["ops"] and g1["continued_as"] == 2 and g2["continues"] == 1
