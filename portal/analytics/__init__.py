"""Analytics and early warning: dashboard figures, pre-aggregates, alert rules, risk scores."""
