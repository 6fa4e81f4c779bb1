"""Dispute types (DESIGN.md §1); labels are gettext msgids."""

DISPUTE_TYPES: dict[str, str] = {
    "labour": "Labour and wage arrears",
    "family": "Marriage and family",
    "neighbour": "Neighbours",
    "land": "Land contracting and expropriation",
    "property": "Property",
    "consumer": "Consumer and e-commerce",
    "maritime": "Fisheries and maritime",
    "traffic": "Traffic",
    "medical": "Medical",
    "other": "Other",
}
