"""Realistic case data shared by the document tests and the benchmark."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from documents.data import (
    AgreementData,
    CaseData,
    Claim,
    Evidence,
    Installment,
    MinutesData,
    MinutesEntry,
    Participant,
    Party,
    SignatureSlot,
)

APPLICANT = Party("张秀英", "applicant", id_number="330681198507123421", gender="女",
                  birth_date=date(1985, 7, 12), address="浙江省诸暨市枫桥镇枫源村12号",
                  phone="13900001111")
RESPONDENT = Party("诸暨市宏达建材有限公司", "respondent", id_number="91330681MA2BCDEF1X",
                   organisation=True, address="浙江省诸暨市枫桥镇工业区8号",
                   representative="王建国")
THIRD = Party("李卫东", "third_party", gender="男", address="浙江省诸暨市枫桥镇新枫路3号")
PARTIES = (APPLICANT, RESPONDENT, THIRD)
EVIDENCE = (
    Evidence("劳动合同.pdf", "9f" * 32, 182_331, purpose="证明劳动关系", submitted_by="张秀英"),
    Evidence("工资条照片.jpg", "a1" * 32, 2_402_112, purpose="证明拖欠工资数额",
             submitted_by="张秀英"),
)
CASE = CaseData(
    case_number="（2025）诸枫调字第0042号", dispute_type="labour",
    body_name="诸暨市枫桥镇人民调解委员会", parties=PARTIES,
    claims=(Claim("支付拖欠工资", Decimal("36800")), Claim("出具离职证明")),
    facts="申请人于2023年3月入职被申请人处从事仓库管理工作。\n2024年10月起被申请人未按月支付工资。",
    evidence=EVIDENCE, mediator="陈立民", filed_on=date(2025, 3, 2),
    accepted_on=date(2025, 3, 4),
)
SLOTS = (
    SignatureSlot("party-1", "张秀英", "申请人"),
    SignatureSlot("party-2", "王建国", "被申请人"),
    SignatureSlot("party-3", "李卫东", "第三人"),
    SignatureSlot("mediator", "陈立民", "人民调解员"),
    SignatureSlot("body-seal", "诸暨市枫桥镇人民调解委员会", "人民调解委员会", seal=True),
)
AGREEMENT = AgreementData(
    case_number=CASE.case_number, body_name=CASE.body_name, mediator="陈立民",
    dispute_type="labour", parties=PARTIES, facts=CASE.facts,
    terms=("被申请人向申请人支付拖欠工资人民币36800元。", "被申请人于2025年3月20日前出具离职证明。",
           "各方就本纠纷再无其他争议。"),
    breach_clause="被申请人逾期付款的，应按未付金额每日万分之五向申请人支付违约金。",
    schedule=(Installment(date(2025, 3, 31), Decimal("20000"), "诸暨市宏达建材有限公司", "张秀英",
                          "银行转账"),
              Installment(date(2025, 4, 30), Decimal("16800"), "诸暨市宏达建材有限公司", "张秀英",
                          "银行转账")),
    made_on=date(2025, 3, 15), signatures=SLOTS,
)
MINUTES = MinutesData(
    case_number=CASE.case_number, body_name=CASE.body_name, session_number=1,
    started_at=datetime(2025, 3, 10, 14, 0), ended_at=datetime(2025, 3, 10, 15, 20),
    mediator="陈立民", recorder="赵晓燕",
    participants=(Participant("张秀英", "申请人"), Participant("王建国", "被申请人法定代表人"),
                  Participant("李卫东", "第三人"), Participant("陈立民", "调解员")),
    entries=(MinutesEntry("调解员", "告知当事人权利义务，询问是否同意调解。",
                          datetime(2025, 3, 10, 14, 2)),
             MinutesEntry("张秀英", "同意调解，要求支付拖欠的工资。", datetime(2025, 3, 10, 14, 5)),
             MinutesEntry("王建国", "公司资金紧张，愿意分两期支付。")),
    summary="双方就分期支付达成一致意见。", signatures=SLOTS[:3],
)
