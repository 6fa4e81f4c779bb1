"""What staff and parties are told about orders: English msgids.

In-portal notices take only {number} and {status} (the notice list fills them); texts to
parties take the parameters named in them.
"""

from __future__ import annotations

from portal.i18n import N_

REPORTED = N_("A dispute was reported in case {number}. Dispatch it to a mediation body.")
RETURNED = N_("Case {number} was returned or declined by the body. Dispatch it again.")
ESCALATED = N_("Case {number} was escalated to your level. Dispatch it to a mediation body.")
REMIND = N_("The current step of case {number} is due soon. Please act on it.")
OVERDUE = N_("The current step of case {number} is overdue. Please act on it now.")
OVERDUE_REASON = N_("Overdue: the {step} step was due on {due}")
TRANSFERRED_NOTICE = N_("Case {number} was transferred to another department. The case page "
                        "says where, why, and what to do next.")
TRANSFERRED_TEXT = N_("Fengqiao ODR: case {number} has been transferred to {recipient}. "
                      "Reason: {reason} Please contact {recipient} about your dispute; the "
                      "case record goes with it.")
REVIEW_NOTICE = N_("The follow-up of case {number} is done. Review the order and close it.")
