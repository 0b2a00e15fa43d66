"""Alarms: metric and composite alarm evaluation, validation, history and notifications."""
