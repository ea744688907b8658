from piccolo.columns import JSON, BigInt, Boolean, Date, Integer, Real, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table):
    """A 机关企事业单位 (department, enterprise, school, hospital, bank, operator, self-media) with
    its place; the place's codes up the tree are copied on, so scope checks are equalities. The
    contact's phone is kept only as keyed hash + masked form (docs/definitions.md)."""

    id: Serial
    code = Varchar(length=64, unique=True)
    name = Varchar(length=100)
    sector = Varchar(length=12, index=True)
    village_code = Varchar(length=12, null=True, default=None, index=True)
    town_code = Varchar(length=12, index=True)
    district_code = Varchar(length=12, index=True)
    #: The village's own station assignment (scope checks), as on events.
    village_station_code = Varchar(length=32, null=True, default=None)
    address = Varchar(length=200, default="")
    responsible_person = Varchar(length=50, default="")
    contact_phone_hash = Varchar(length=64, null=True, default=None, index=True)
    contact_phone_masked = Varchar(length=20, null=True, default=None)
    alliance_member = Boolean(default=False, index=True)
    alliance_joined_on = Date(null=True, default=None)
    is_demo = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EventOrganisation(Table):
    """The organisation an outreach event was held at (set from the event form)."""

    id: Serial
    event_id = Integer(unique=True)
    organisation_id = Integer(index=True)


class Measure(Table):
    """One of the campaign's rigid measures (反诈十条). Tasks of a red-line measure left undone
    by their due date veto the unit's assessment (一票否决)."""

    id: Serial
    number = Integer(unique=True)
    title = Varchar(length=100)
    body = Text(default="")
    red_line = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Task(Table):
    """A measure turned into work for one unit (town, station or organisation) with a due date,
    the evidence required and the person who reviews it. open → submitted → accepted, or back
    to returned (with a reason) and submitted again."""

    id: Serial
    measure_id = Integer(index=True)
    title = Varchar(length=150)
    detail = Text(default="")
    unit_kind = Varchar(length=12)
    unit_code = Varchar(length=64, index=True)
    unit_name = Varchar(length=100, default="")
    #: Where the unit is, for scope checks: a town's or organisation's town; a station's
    #: first town is not enough, so stations carry their code in station_code instead.
    town_code = Varchar(length=12, null=True, default=None, index=True)
    village_code = Varchar(length=12, null=True, default=None)
    village_station_code = Varchar(length=32, null=True, default=None)
    station_code = Varchar(length=32, null=True, default=None, index=True)
    district_code = Varchar(length=12, index=True)
    due_on = Date(index=True)
    evidence_kind = Varchar(length=10)
    figure_label = Varchar(length=50, default="")
    reviewer_id = Integer(index=True)
    reviewer_name = Varchar(length=150, default="")
    status = Varchar(length=10, default="open", index=True)
    return_reason = Varchar(length=300, null=True, default=None)
    submitted_on = Date(null=True, default=None)
    accepted_on = Date(null=True, default=None)
    assigned_by = Integer(null=True, default=None)
    assigned_by_name = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    is_demo = Boolean(default=False)


class Evidence(Table):
    """What a unit submitted for a task: a document, a photo or a figure, with a note."""

    id: Serial
    task_id = Integer(index=True)
    kind = Varchar(length=10)
    storage_key = Varchar(length=200, null=True, default=None)
    original_name = Varchar(length=120, default="")
    content_type = Varchar(length=80, default="")
    size = Integer(default=0)
    figure = BigInt(null=True, default=None)
    note = Text(default="")
    submitted_by = Integer(null=True, default=None)
    submitted_by_name = Varchar(length=150, default="")
    submitted_at = Timestamptz(default=TimestamptzNow())


class TaskReminder(Table):
    """A reminder the daily job raised: a task due soon or overdue, once per task, kind and day."""

    id: Serial
    task_id = Integer(index=True)
    kind = Varchar(length=10)
    day = Date(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AssessmentScheme(Table):
    """The 平安考核 scheme in force: ranked indicator weights (adding up to 100), baseline (达标)
    thresholds and red lines (一票否决). One row; each run stores a copy of what it used."""

    id: Serial
    weights = JSON(default="{}")
    baseline = JSON(default="{}")
    red_lines = JSON(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Varchar(length=150, default="")


class AssessmentRun(Table):
    """One computed assessment of every town or station for a quarter; the ranking page renders
    the stored results of the latest run instead of recomputing."""

    id: Serial
    level = Varchar(length=8)
    year = Integer()
    quarter = Integer()
    as_of = Date()
    scheme = JSON(default="{}")
    units = Integer(default=0)
    computed_at = Timestamptz(default=TimestamptzNow(), index=True)
    computed_by = Varchar(length=150, default="")
    seconds = Real(default=0.0)


class AssessmentResult(Table):
    """One unit's line of a run: rank, score, veto and baseline verdicts, and the explained parts."""

    id: Serial
    run_id = Integer(index=True)
    code = Varchar(length=32)
    name = Varchar(length=100, default="")
    district_code = Varchar(length=12, default="")
    rank = Integer()
    score = Real()
    vetoed = Boolean(default=False)
    baseline_ok = Boolean(default=True)
    #: Each ranked indicator's contribution to the score, as columns so that the ranking page
    #: reads no JSON; `detail` explains the line for the assessment sheet.
    c_tasks = Real(default=0.0)
    c_contest = Real(default=0.0)
    c_outreach = Real(default=0.0)
    c_dissuasion = Real(default=0.0)
    c_cases = Real(default=0.0)
    detail = JSON(default="{}")


class Review(Table):
    """An accountability review (倒查) of one case: opened automatically for a case above the loss
    threshold or by a leader for a serious case; findings, corrective actions, closure."""

    id: Serial
    case_id = Integer(unique=True)
    case_no = Varchar(length=64)
    occurred_on = Date()
    loss_fen = BigInt(default=0)
    fraud_type = Varchar(length=30, default="")
    village_code = Varchar(length=12, null=True, default=None)
    town_code = Varchar(length=12, index=True)
    district_code = Varchar(length=12, index=True)
    station_code = Varchar(length=32, null=True, default=None, index=True)
    village_station_code = Varchar(length=32, null=True, default=None)
    organisation_id = Integer(null=True, default=None, index=True)
    trigger = Varchar(length=10)
    trigger_note = Varchar(length=300, default="")
    status = Varchar(length=10, default="open", index=True)
    opened_at = Timestamptz(default=TimestamptzNow())
    opened_on = Date(index=True)
    findings = Text(default="")
    closing_note = Text(default="")
    closed_at = Timestamptz(null=True, default=None)
    closed_by_name = Varchar(length=150, default="")
    is_demo = Boolean(default=False)


class CorrectiveAction(Table):
    """A corrective action of a review, with its owner and deadline."""

    id: Serial
    review_id = Integer(index=True)
    action = Varchar(length=300)
    owner = Varchar(length=50)
    due_on = Date()
    done_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SweepMark(Table):
    """How far the review sweep has read the cases (their updated_at)."""

    id: Serial
    name = Varchar(length=30, unique=True)
    at = Timestamptz()
