"""Imports every model module, so metadata is complete for Alembic and tests."""

from portal.accounts import models as accounts_models
from portal.agreements import models as agreements_models
from portal.analytics import models as analytics_models
from portal.audit import models as audit_models
from portal.bodies import models as bodies_models
from portal.casefile import models as casefile_models
from portal.cases import models as cases_models
from portal.db.base import Base
from portal.deadlines import models as deadlines_models
from portal.dispatch import models as dispatch_models
from portal.filing import models as filing_models
from portal.mediation import models as mediation_models
from portal.notifications import models as notifications_models

__all__ = [
    "Base",
    "accounts_models",
    "agreements_models",
    "analytics_models",
    "audit_models",
    "bodies_models",
    "casefile_models",
    "cases_models",
    "deadlines_models",
    "dispatch_models",
    "filing_models",
    "mediation_models",
    "notifications_models",
]
