"""A small, valid case export shared by the case import tests and the job-recovery tests."""

from __future__ import annotations

import datetime as dt

from campaign.timeutil import today

HEADER = "案件编号,发案时间,区划代码,派出所编码,诈骗类型,损失金额,受害人职业,受害人年龄\n"
YESTERDAY = (today() - dt.timedelta(days=1)).isoformat()
GOOD = (
    f'C001,{YESTERDAY} 14:30,330282005002,PS330282005,刷单返利,"1,200.50",在校大学生,20\n'
    f"C002,{YESTERDAY},330282108,,投资理财,50000,,\n"
    f"C003,{YESTERDAY},330206002001,,冒充客服,0,教师,45\n"
)
