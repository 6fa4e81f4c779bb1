"""Chinese wording for the papers: the portal's labels read in zh_CN, and the few phrases
that only legal papers use."""

from __future__ import annotations

import datetime as dt

from portal import i18n
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import TRIGGER_LABELS, Status, Trigger
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.labels import OUTCOME_LABELS, PERFORMANCE_LABELS
from portal.dispatch.models import Outcome, Performance


def zh(msgid: str) -> str:
    """A portal label in Chinese, whatever the reader's language: the papers are Chinese."""
    return i18n.translations("zh_CN").gettext(msgid)


def status(value: Status) -> str:
    return zh(STATUS_LABELS[value])


def trigger(value: Trigger) -> str:
    return zh(TRIGGER_LABELS[value])


def outcome(value: Outcome) -> str:
    return zh(OUTCOME_LABELS[value])


def performance(value: Performance) -> str:
    return zh(PERFORMANCE_LABELS[value])


def local(moment: dt.datetime) -> dt.datetime:
    """Papers print the time people lived it: Asia/Shanghai."""
    return moment.astimezone(TIME_ZONE)


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else local(moment).date()


ACTORS: dict[str, str] = {
    "applicant": "申请人", "respondent": "被申请人", "mediator": "人民调解员",
    "body": "调解组织", "dispatcher": "调度中心", "court": "人民法院", "system": "系统",
    "admin": "系统管理员", "reporter": "网格员",
}

# What the case status says about how mediation ended, for the cover and closing sheet.
OUTCOMES: dict[Status, str] = {
    Status.AGREEMENT_IN_EFFECT: "调解成功，调解协议已生效",
    Status.CONFIRMATION_REQUESTED: "调解成功，已申请司法确认",
    Status.CONFIRMED: "调解成功，调解协议经人民法院司法确认",
    Status.CONFIRMATION_REFUSED: "调解成功，人民法院裁定不予确认",
    Status.MEDIATION_FAILED: "调解不成，终结调解",
    Status.FILING_REQUESTED: "调解不成，已申请诉讼立案",
    Status.FILING_RECEIVED: "调解不成，人民法院已接收立案材料",
    Status.DOCKETED: "调解不成，人民法院已立案",
    Status.FILING_REJECTED: "调解不成，人民法院未予立案",
    Status.WITHDRAWN: "申请人撤回申请",
    Status.DECLINED: "不予受理",
    Status.TRANSFERRED: "已移送其他部门处理",
}
IN_PROGRESS = "调解进行中"

# When the person ending mediation gave no reason (timers never do).
FAILURE_REASONS: dict[Trigger, str] = {
    Trigger.RESPONDENT_REFUSE: "被申请人不同意调解",
    Trigger.RESPONDENT_TIMEOUT: "被申请人在三个工作日内未答复是否同意调解，视为不同意调解",
    Trigger.FAIL_MEDIATION: "当事人之间未能达成调解协议",
    Trigger.MEDIATION_TIMEOUT: "调解期限届满，当事人之间未能达成调解协议",
}

# Notices the portal served on the parties, by the event or session change behind them.
EVENT_NOTICES: dict[Trigger, str] = {
    Trigger.ACCEPT: "受理通知书",
    Trigger.DECLINE: "不予受理通知书",
    Trigger.CONTACT_RESPONDENT: "征询被申请人调解意愿告知书",
    Trigger.RESPONDENT_AGREE: "同意调解告知书",
    Trigger.RESPONDENT_REFUSE: "终止调解告知书",
    Trigger.RESPONDENT_TIMEOUT: "终止调解告知书",
    Trigger.ASSIGN_MEDIATOR: "指定人民调解员通知书",
    Trigger.REASSIGN_MEDIATOR: "变更人民调解员通知书",
    Trigger.FAIL_MEDIATION: "调解终结通知书",
    Trigger.MEDIATION_TIMEOUT: "调解终结通知书",
}
SESSION_NOTICES: dict[str, str] = {
    "scheduled": "调解会议通知书",
    "rescheduled": "调解会议改期通知书",
    "cancelled": "调解会议取消通知书",
}
CHANNELS: dict[str, str] = {"sms": "短信", "email": "电子邮件"}
SERVER = "在线调解平台（系统自动送达）"

PARTICIPANTS: dict[tuple[str, str], str] = {
    ("party", "applicant"): "申请人", ("party", "respondent"): "被申请人",
    ("agent", "applicant"): "申请人委托代理人", ("agent", "respondent"): "被申请人委托代理人",
}
STAFF: dict[str, str] = {"mediator": "人民调解员", "observer": "列席人员"}


def participant_role(role: str, side: str) -> str:
    return PARTICIPANTS.get((role, side)) or STAFF.get(role, "参加人")
