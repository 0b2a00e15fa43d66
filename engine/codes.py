"""Every code cwfilter can report, in one registry: lint (CWF1xx), checks and wiring (CWF2xx), and
the service's own validation.

Each `Code` has a default severity, a short name, a one-line and a full description, the
decisions it rests on, and a help URI: its anchor on the documentation site's page of finding
codes (`links.code_url`). SARIF's rule table, ``--output github`` titles, the lint and wiring
tables and the ``--ignore`` check are all built from `REGISTRY`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .links import code_url

ERROR = "error"
WARNING = "warning"
NOTE = "note"

LINT = "lint"
CHECK = "check"
CONFIG = "config"

# The rule id of the service's own validation errors (PutMetricFilter, PutMetricAlarm,
# PutCompositeAlarm, and documents that cannot be read), which carry no CWF code.
SERVICE_VALIDATION = "service-validation"


@dataclass(frozen=True, slots=True)
class Code:
    """One reportable code.

    Attributes:
        id: ``CWF104``, or `SERVICE_VALIDATION`.
        category: `LINT` (a valid pattern that is probably wrong), `CHECK` (values, wiring) or
            `CONFIG` (the service's own validation).
        severity: the default severity: ``error``, ``warning`` or ``note``.
        name: a short kebab-case name (SARIF's rule name).
        short: one line.
        full: what it means and what the service does.
        decisions: the DECISIONS ids it rests on (``P10``), if any.
    """

    id: str
    category: str
    severity: str
    name: str
    short: str
    full: str
    decisions: str = ""

    @property
    def anchor(self) -> str:
        """The anchor of the code on the page of finding codes (``cwf104``)."""
        return self.id.lower()

    @property
    def help_uri(self) -> str:
        return code_url(self.id)


_ALL = (
    Code(SERVICE_VALIDATION, CONFIG, ERROR, "service-validation",
         "Rejected by PutMetricFilter, PutMetricAlarm or PutCompositeAlarm",
         "The value would be rejected by the CloudWatch or CloudWatch Logs API at deploy time (the "
         "message is the service's where known), or the document cannot be read: not YAML or JSON, "
         "past a size, nesting or alias bound, or not UTF-8."),
    Code("CWF101", LINT, WARNING, "optional-term-ignored",
         "? term ignored because the pattern mixes it with plain or - terms",
         "A pattern that mixes ? terms with plain or - terms ignores every ? term.", "P2"),
    Code("CWF102", LINT, WARNING, "word-split-by-operator",
         "- or ? inside an unquoted word splits it into several terms",
         "A - or ? inside an unquoted word starts a new term (ORDER-ITEM-1 is ORDER -ITEM -1); "
         "quote the word to search for it as written.", "P3, P17"),
    Code("CWF103", LINT, WARNING, "matches-every-event",
         "the pattern matches every event",
         "The pattern matches every event although it is not the empty pattern (\" \", %%, %a*%).",
         "P4, P17, P18"),
    Code("CWF104", LINT, WARNING, "not-equal-on-missing-field",
         "!= is false when the field is missing",
         "A != comparison is false for an event without the field; add || $.field NOT EXISTS if "
         "such events should match.", "P10"),
    Code("CWF105", LINT, WARNING, "wildcard-on-number",
         "a wildcard on a number-like value matches text, not numbers",
         "A wildcard on a number-like value (= 4*) matches the field's text, never a JSON number.",
         "P8, P9"),
    Code("CWF106", LINT, WARNING, "needless-regex",
         "a regex that a plain term, wildcard or quoted value would do",
         "A regex that a plain term, a wildcard or a quoted value would do (%ERROR%); regex "
         "filters are limited to 5 per log group.", "P6, P7"),
    Code("CWF107", LINT, WARNING, "quoted-number",
         "a quoted number is compared as text",
         "A quoted number (= \"812\") is compared as text with a JSON number's canonical text.", "P9"),
    Code("CWF108", LINT, WARNING, "not-equal-on-wildcard-selector",
         "!= on a wildcard selector holds when some value differs",
         "!= on a wildcard selector ($.a[*].b) holds when some value differs, not when all do.", "P20"),
    Code("CWF109", LINT, WARNING, "json-pattern-as-term",
         "a JSON pattern written as a term pattern matches no JSON event",
         "A JSON pattern that became a term pattern (quoted, or with text before { or after }) "
         "searches for its own text and matches no JSON event.", "P1"),
    Code("CWF200", CHECK, ERROR, "unresolved-value",
         "A value that matters cannot be resolved without deploying",
         "A value that matters cannot be resolved without deploying (a parameter without a default, a "
         "pseudo parameter, an attribute known only after creation), or an expression whose value "
         "would pass a bound."),
    Code("CWF201", CHECK, ERROR, "alarm-metric-not-published",
         "An alarm watches a metric that no metric filter in scope publishes",
         "An alarm watches a namespace/metric/dimension set that no metric filter in scope publishes "
         "(an error when a filter publishes a near-identical metric, a warning otherwise)."),
    Code("CWF202", CHECK, WARNING, "filter-metric-not-watched",
         "A metric filter publishes a metric that no alarm in scope watches",
         "A metric filter publishes a metric that no alarm in scope watches."),
    Code("CWF203", CHECK, WARNING, "statistic-unsuited-to-count",
         "Average, Minimum, Maximum or a percentile on a count",
         "An alarm uses Average, Minimum, Maximum or a percentile on a metric whose filters publish a "
         "constant metricValue (a count): use Sum."),
    Code("CWF204", CHECK, WARNING, "period-below-60",
         "An alarm Period below 60 seconds on a metric-filter metric",
         "An alarm with a Period below 60 seconds watches a metric-filter metric, which is published "
         "at one-minute resolution."),
    Code("CWF205", CHECK, ERROR, "dimensions-on-term-pattern",
         "Dimensions on a filter whose pattern is a term or regex pattern",
         "Dimensions on a metric filter whose pattern is a term or regex pattern.", "M5"),
    Code("CWF206", CHECK, ERROR, "dimensions-with-default-value",
         "Dimensions together with defaultValue",
         "Dimensions together with defaultValue in one metric transformation.", "M5"),
    Code("CWF207", CHECK, ERROR, "metric-value-not-a-number",
         "A metricValue that is neither a number nor a $field reference",
         "A metricValue that is neither a number nor a $field reference."),
    Code("CWF208", CHECK, ERROR, "too-many-regex-filters",
         "More than 5 metric filters with a regex on one log group",
         "More than 5 metric filters with a regex on one log group.", "P7"),
    Code("CWF209", CHECK, WARNING, "filter-on-other-log-group",
         "A metric filter on a log group its events never reach",
         "A metric filter sits on a log group other than the one its events are delivered to (a "
         "CloudTrail trail's log group, the CloudWatch agent's log groups)."),
    Code("CWF210", CHECK, WARNING, "cis-pattern-almost-exact",
         "A pattern close to a CIS / Security Hub control pattern but not its text",
         "A filter pattern is close to a CIS AWS Foundations / Security Hub control pattern but is "
         "not textually the benchmark's."),
    Code("CWF211", CHECK, WARNING, "module-not-read",
         "A Terraform module whose source cannot be read offline",
         "A Terraform module call whose source (registry or git) cannot be read offline; "
         "--module-path NAME=DIR points cwfilter at a local copy."),
    Code("CWF212", CHECK, WARNING, "dimension-unique-per-event",
         "A dimension taken from a field that is unique per event",
         "A dimension's value comes from a field whose name says it is unique per event (a request "
         "or event ID, an IP address, a timestamp). The service advises against such dimensions: a "
         "filter that makes more than 1,000 distinct dimension name/value pairs within an hour may "
         "be disabled."),
)

#: Code id -> `Code`, in code order.
REGISTRY: dict[str, Code] = {c.id: c for c in _ALL}


def codes(category: str) -> dict[str, Code]:
    """The codes of one category (`LINT`, `CHECK`, `CONFIG`)."""
    return {k: c for k, c in REGISTRY.items() if c.category == category}
