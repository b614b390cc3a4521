"""Reports: the evaluation report, the data overview, the SavedModel export."""
