"""Matching: filter patterns compiled to matchers, the RE2 layer, and the literal index that routes events to filters."""
