"""A review meeting that replays part of the seed's minutes (January 22, 2016, Release Engineering and
Security), typed in the console as MeetBot users would; used by the golden-file tests and the bench."""
from __future__ import annotations

# fiscal year from July: Oct-Dec 2015 is FY2016Q2, reviewed on Jan 22 2016 (America/Los_Angeles)
ENV = {"GOALKEEPER_FISCAL_YEAR_START": "7"}

BEFORE = [  # the quarter, set up in December through commands
    ("2015-12-01T18:00:00+00:00", "greg", "/team set releng tz:America/Los_Angeles title:Release Engineering size:6"),
    ("2015-12-01T18:00:00+00:00", "greg", "/goal add Nodepool: migrate the JS and MPM jobs"),
    ("2015-12-01T18:00:00+00:00", "greg", "/goal add Migrate Gerrit to Differential"),
    ("2015-12-01T18:00:00+00:00", "greg", "/goal add MediaWiki 1.26 release"),
    ("2015-12-01T18:00:00+00:00", "chris", "/goal add Give security training to other teams"),
    ("2015-12-01T18:00:00+00:00", "greg", "/kpi add time-to-merge unit:min better:down"),
    ("2015-12-01T18:00:00+00:00", "greg", "/kpi time-to-merge 11"),
    ("2015-12-28T18:00:00+00:00", "greg", "/kpi time-to-merge 6"),
    ("2016-01-04T18:00:00+00:00", "greg", "/review date 2016-01-22"),
]

# 09:45 PT on the review day: the meeting (one minute per line, from 17:45 UTC)
MEETING = [
    ("wes", "#startmeeting Quarterly review, Technology II"),
    ("lila", "Good morning everyone"),
    ("wes", "#chair greg"),
    ("greg", "#topic Release Engineering"),
    ("greg", "#info Team size 6. KPI: time to merge in MW Core went from 11 min to 6 min"),
    ("greg", "#partial 1 a portion of the jobs is migrated; JS / MPM tests started yesterday"),
    ("greg", "#learning 1 Still a mostly one person job right now. Silo effect is strong."),
    ("lila", "Does the team also run all the automation testing?"),
    ("greg", "Yes. End to end tests are not all part of the merge process"),
    ("lila", "#idea It would be interesting to see some level of KPIs around testing"),
    ("greg", "#miss 2 actual migration depends on the RfC"),
    ("greg", "#hit 3"),
    ("greg", "#link https://www.mediawiki.org/wiki/Release_notes/1.26 the 1.26 release notes"),
    ("lila", "please keep me in the loop on the MediaWiki foundation"),
    ("wes", "#topic Security"),
    ("chris", "#miss 4 we developed materials but did not present"),
    ("chris", "#info Core work is >80% of effort; we are understaffed"),
    ("robla", "#idea a retrospective/postmortem when a security vulnerability is found"),
    ("wes", "#agreed Security is everyone's responsibility"),
    ("wes", "#action chris write up a summary of the asks"),
    ("wes", "#action greg link the learnings on MWDS from the slides"),
    ("wes", "#action lila <b>loop in</b> the MediaWiki stakeholders"),
    ("wes", "#undo"),
    ("lila", "Don't sweat if you don't get your greens. Really good work last quarter. Thank you."),
    ("wes", "#endmeeting"),
]
START = "2016-01-22T17:45:00+00:00"


def minute(n: int) -> str:
    return f"2016-01-22T{17 + (45 + n) // 60:02d}:{(45 + n) % 60:02d}:00+00:00"


def replay(chat, meeting=MEETING) -> list[str]:
    """The set-up and the meeting, through the chat; the replies to the meeting's lines, in order."""
    for at, who, text in BEFORE:
        chat.at(at).say(text, user=who)
    out = []
    for n, (who, text) in enumerate(meeting):
        out.append(chat.at(minute(n)).say(text, user=who))
    return out
