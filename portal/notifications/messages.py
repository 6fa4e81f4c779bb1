"""What people are told when a case moves: English msgids, rendered in each reader's language.

In-portal notices take {number} (and the notice list passes {status}); SMS and e-mail
texts take {number}, {body} and {mediator}.
"""

from __future__ import annotations

from portal.cases.states import Status, Trigger
from portal.i18n import N_

CASE_MOVED = N_("Case {number} is now: {status}")

# Who must act next, by the status the case moved to: (audience, notice).
# Audiences: "body" (its administrators), "applicant", "respondents", "parties", "mediator".
NEXT_ACTION: dict[Status, list[tuple[str, str]]] = {
    Status.SUBMITTED: [("body", N_(
        "Case {number} is waiting for your review: accept, decline or refer it within 3 "
        "working days."))],
    Status.ACCEPTED: [("body", N_(
        "Case {number} was accepted. Contact the respondent to ask for consent to "
        "mediation."))],
    Status.DECLINED: [("applicant", N_(
        "Case {number} was declined. You may choose another mediation body."))],
    Status.AWAITING_RESPONDENT: [("respondents", N_(
        "You are asked to agree to mediation in case {number}. Please answer within 3 "
        "working days."))],
    Status.RESPONDENT_AGREED: [
        ("parties", N_("Mediation in case {number} was agreed. Choose a mediator together "
                       "within 2 working days.")),
        ("body", N_("Mediation in case {number} was agreed. Assign a mediator if the parties "
                    "do not choose one together.")),
    ],
    Status.MEDIATOR_ASSIGNED: [("mediator", N_(
        "You were assigned to case {number}. Accept or decline within 3 working days and "
        "declare any conflict of interest."))],
    Status.MEDIATION_FAILED: [("applicant", N_(
        "Mediation in case {number} has ended without agreement. You may file the case with "
        "a court."))],
    # Court filing (portal.filing).
    Status.AGREEMENT_IN_EFFECT: [("parties", N_(
        "The agreement in case {number} is in effect. To make it enforceable, apply together "
        "for judicial confirmation within 30 days."))],
    Status.FILING_REJECTED: [("applicant", N_(
        "The court rejected the filing of case {number}. Its reason is on the case page."))],
}

# Key events that also go out by SMS (and e-mail where known): (audience, text).
# Audiences: "applicant" (the applicant and its agent) or "parties" (everyone named).
TEXTS: dict[Trigger, tuple[str, str]] = {
    Trigger.ACCEPT: ("applicant", N_(
        "Fengqiao ODR: case {number} was accepted by {body}. The respondent will be asked "
        "to agree to mediation.")),
    Trigger.DECLINE: ("applicant", N_(
        "Fengqiao ODR: case {number} was declined by {body}. Log in to choose another "
        "mediation body.")),
    Trigger.CONTACT_RESPONDENT: ("applicant", N_(
        "Fengqiao ODR: the respondent in case {number} has been asked to agree to "
        "mediation.")),
    Trigger.RESPONDENT_AGREE: ("parties", N_(
        "Fengqiao ODR: mediation in case {number} was agreed. Log in to choose a mediator "
        "within 2 working days.")),
    Trigger.RESPONDENT_REFUSE: ("parties", N_(
        "Fengqiao ODR: the respondent refused mediation in case {number}, so mediation has "
        "ended. The applicant may file the case with a court.")),
    Trigger.RESPONDENT_TIMEOUT: ("parties", N_(
        "Fengqiao ODR: the respondent did not answer within 3 working days in case "
        "{number}, so mediation has ended. The applicant may file the case with a court.")),
    Trigger.ASSIGN_MEDIATOR: ("parties", N_(
        "Fengqiao ODR: mediator {mediator} was assigned to case {number}.")),
    Trigger.REASSIGN_MEDIATOR: ("parties", N_(
        "Fengqiao ODR: mediator {mediator} was assigned to case {number}.")),
    Trigger.FAIL_MEDIATION: ("parties", N_(
        "Fengqiao ODR: mediation in case {number} has ended without agreement. The "
        "applicant may file the case with a court.")),
    Trigger.MEDIATION_TIMEOUT: ("parties", N_(
        "Fengqiao ODR: the 30 days of mediation in case {number} have passed without "
        "agreement, so mediation has ended. The applicant may file the case with a court.")),
    # The court's decisions (portal.filing.decisions).
    Trigger.DOCKET: ("parties", N_(
        "Fengqiao ODR: the court accepted case {number} and gave it a court case number. Log "
        "in to see it.")),
    Trigger.REJECT_FILING: ("applicant", N_(
        "Fengqiao ODR: the court rejected the filing of case {number}. Log in to see its "
        "reason.")),
    Trigger.COURT_CONFIRM: ("parties", N_(
        "Fengqiao ODR: the court confirmed the agreement in case {number}; it can now be "
        "enforced.")),
    Trigger.COURT_REFUSE_CONFIRMATION: ("parties", N_(
        "Fengqiao ODR: the court refused to confirm the agreement in case {number}. Log in to "
        "see its reason.")),
}
EMAIL_SUBJECT = N_("Fengqiao ODR: case {number}")

# Notices that follow no transition (deadlines, a mediator's answer, a party's request).
ACCEPT_OVERDUE = N_("Case {number} was not reviewed within 3 working days. Please accept, "
                    "decline or refer it now.")
ASSIGN_OVERDUE = N_("No mediator was assigned to case {number} within the time limit. "
                    "Please assign one now.")
PARTIES_DID_NOT_CHOOSE = N_("The parties of case {number} did not choose a mediator "
                            "together. Please assign one.")
MEDIATOR_DECLINED = N_("The mediator declined case {number}. Please assign another mediator.")
MEDIATOR_LAPSED = N_("The mediator did not answer on case {number} within 3 working days. "
                     "Please assign another mediator.")
CHANGE_REQUESTED = N_("A party of case {number} asks for another mediator. Please review the "
                      "request.")
MEDIATION_OVERDUE = N_("The 30 days of mediation in case {number} have passed.")
