"""Dependencies of the consent, recipient, pause and look-in routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from central.consent_copies import ConsentCopies
from central.dependencies import require_role
from central.models import Staff


def get_consent_copies(request: Request) -> ConsentCopies:
    copies: ConsentCopies = request.app.state.consent_copies
    return copies


NurseAdminDep = Annotated[Staff, Depends(require_role("nurse_admin"))]
"""May change consent, recipients and nodes."""
CARE_ROLES = ("night_staff", "nurse_admin")
CareStaffDep = Annotated[Staff, Depends(require_role(*CARE_ROLES))]
"""May read consent and tonight's check-ins, ask for a look-in, and pause on a recipient's behalf."""
CopiesDep = Annotated[ConsentCopies, Depends(get_consent_copies)]
