"""Task lists: assignment inside the assigner's jurisdiction only, the unit's home page, evidence
of the right type and size, return with a reason, acceptance, overdue up the chain, reminders."""

from __future__ import annotations

import datetime as dt

from campaign.duties import queries
from campaign.duties.jobs import send_task_reminders
from campaign.duties.rules import MAX_PHOTO_BYTES
from campaign.duties.tables import Evidence, Task, TaskReminder
from campaign.timeutil import today
from tests.helpers.duties import BAISHA, XINQI, assign, jpeg, login, measure, only_task, upload
from tests.helpers.web import post_form


async def test_a_task_outside_the_assigners_jurisdiction_is_refused(client, ningbo):
    measure_id = await measure()
    await login(client, "cixi_leader")
    page = await assign(client, [f"town:{XINQI}"], measure_id=measure_id)
    assert page.status_code == 400
    assert "新碶街道 不在你的辖区内" in page.text and "开展反诈宣讲进校园" in page.text
    assert 'name="units" value="town:330206002"' in page.text  # the chosen chips are kept
    page = await assign(client, ["town:330282999"], measure_id=measure_id)
    assert page.status_code == 400 and "找不到责任单位" in page.text
    assert 'name="units" value="town:330282999"' in page.text
    assert await Task.count() == 0


async def test_responsible_units_are_picked_in_the_assigners_jurisdiction(client, ningbo):
    """The task form searches towns, stations and organisations (a province has ~2,600 towns
    and stations) instead of listing them all, and offers only the assigner's own."""
    await login(client, "cixi_leader")
    form = (await client.get("/duties/tasks/new")).text
    assert 'data-picker-multi="units"' in form and "<optgroup" not in form
    found = (await client.get("/duties/tasks/pick-units?q=附海")).text
    assert 'data-code="town:330282108"' in found and 'data-code="station:PS330282108"' in found
    assert "data-code" not in (await client.get("/duties/tasks/pick-units?q=新碶")).text
    await login(client, "coord")
    assert (await client.get("/duties/tasks/pick-units?q=附海")).status_code == 403


async def test_coordinators_cannot_assign(client, ningbo):
    measure_id = await measure()
    await login(client, "coord")
    page = await assign(client, [f"town:{BAISHA}"], measure_id=measure_id)
    assert page.status_code == 403


async def test_a_task_from_assignment_to_accepted_evidence(client, ningbo):
    measure_id = await measure()
    await login(client, "cixi_leader")
    page = await assign(client, [f"town:{BAISHA}", "station:PS330282108"], measure_id=measure_id)
    assert page.status_code == 302 and await Task.count() == 2
    task = (await Task.select().where(Task.unit_code == BAISHA))[0]

    await login(client, "coord")
    home = await client.get("/")
    assert 'data-card="duties"' in home.text and "开展反诈宣讲进校园" in home.text
    page = await upload(client, task["id"], "notes.pdf", b"%PDF-1.4 x")
    assert page.status_code == 400 and "只接受" in page.text
    page = await upload(client, task["id"], "big.jpg", b"\xff\xd8\xff" + b"0" * MAX_PHOTO_BYTES)
    assert page.status_code == 400 and "超过上限" in page.text
    assert await Evidence.count() == 0
    other = (await Task.select().where(Task.unit_code == "PS330282108"))[0]
    page = await upload(client, other["id"], "a.jpg", jpeg())
    assert page.status_code == 403  # another unit's task
    page = await upload(client, task["id"], "site.jpg", jpeg(), note="三中讲座")
    assert page.status_code == 302
    assert (await queries.task(task["id"])).status == "submitted"

    await login(client, "leader")  # not the named reviewer
    page = await post_form(client, f"/duties/tasks/{task['id']}/review", {"decision": "accept"})
    assert page.status_code == 403
    await login(client, "cixi_leader")
    page = await post_form(client, f"/duties/tasks/{task['id']}/review", {"decision": "return"})
    assert page.status_code == 400 and "退回时请写明原因" in page.text
    page = await post_form(
        client,
        f"/duties/tasks/{task['id']}/review",
        {"decision": "return", "reason": "请补充签到表"},
    )
    assert page.status_code == 302
    assert (await queries.task(task["id"])).return_reason == "请补充签到表"

    await login(client, "coord")
    page = await upload(client, task["id"], "signin.jpg", jpeg())
    assert page.status_code == 302
    await login(client, "cixi_leader")
    page = await post_form(client, f"/duties/tasks/{task['id']}/review", {"decision": "accept"})
    assert page.status_code == 302
    done = await queries.task(task["id"])
    assert done.status == "accepted" and done.accepted_on == today()
    detail = await client.get(f"/duties/tasks/{task['id']}")
    assert detail.text.count("data-evidence=") == 2
    evidence = await Evidence.select().order_by(Evidence.id)
    photo = await client.get(f"/duties/evidence/{evidence[0]['id']}")
    assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"


async def test_a_figure_task_takes_a_number(client, ningbo):
    measure_id = await measure()
    await login(client, "admin")
    await assign(client, [f"town:{BAISHA}"], evidence="figure", measure_id=measure_id)
    task = await only_task()
    await login(client, "coord")
    page = await post_form(client, f"/duties/tasks/{task['id']}/evidence", {"figure": "很多"})
    assert page.status_code == 400 and "请填写数字" in page.text
    page = await post_form(client, f"/duties/tasks/{task['id']}/evidence", {"figure": "1,200"})
    assert page.status_code == 302
    assert (await Evidence.select().first())["figure"] == 1200


async def test_overdue_tasks_show_up_the_chain_and_reminders_are_raised_once(client, ningbo):
    measure_id = await measure()
    await login(client, "admin")
    await assign(client, [f"town:{BAISHA}"], measure_id=measure_id)
    task = await only_task()
    await Task.update({Task.due_on: today() - dt.timedelta(days=2)}).where(Task.id == task["id"])
    await login(client, "cixi_leader")
    page = await client.get("/duties/tasks?overdue=1")
    assert 'data-card="overdue-units"' in page.text and "data-overdue" in page.text
    await login(client, "beilun_leader")
    page = await client.get("/duties/tasks")
    assert "白沙路街道" not in page.text and "没有符合条件的任务" in page.text
    assert await send_task_reminders({}) == 1
    assert await send_task_reminders({}) == 0
    assert (await TaskReminder.select().first())["kind"] == "overdue"
    await login(client, "cixi_leader")
    export = await client.get("/duties/tasks?format=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


async def test_the_reviewer_must_see_the_units_of_the_task(client, ningbo):
    measure_id = await measure()
    await login(client, "admin")
    page = await assign(client, [f"town:{BAISHA}"], measure_id=measure_id, reviewer="beilun_leader")
    assert page.status_code == 400 and "审核人的辖区不包括 白沙路街道" in page.text
    assert await Task.count() == 0
