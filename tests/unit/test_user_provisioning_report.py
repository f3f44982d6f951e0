"""The per-resource report of a user-provisioning run (lambdas/user_provisioning/report.py)."""

from __future__ import annotations

from user_provisioning.report import METRIC_NAMES, summarize

from business_workflows.user_provisioning import BUSINESS_METRICS


class RecordedMetrics:
    def __init__(self):
        self.values: dict[str, float] = {}

    def add_metric(self, name, unit, value):
        self.values[name] = value


def resource(index, type_, name):
    key = f"{type_}#{name}"
    return {"index": index, "type": type_, "name": name, "key": key, "config": {}}


STORAGE = resource(0, "storage-prefix", "home")
SCOPE = resource(1, "access-scope", "default")
KEY = resource(2, "api-key", "default")
USER = {"id": "u-1", "email": "ada@acme.example", "role": "admin"}


def test_all_provisioned_makes_the_user_active():
    # GIVEN every resource provisioned, results in the order the Map returned them
    event = {
        "tenantId": "acme",
        "user": USER,
        "resources": [
            {
                "resource": SCOPE,
                "status": "PROVISIONED",
                "createdByThisRun": True,
                "details": {"resourceId": "arn:aws:iam::1:role/x"},
            },
            {"resource": STORAGE, "status": "PROVISIONED", "createdByThisRun": False, "details": {}},
        ],
    }
    metrics = RecordedMetrics()

    # WHEN summarized
    report = summarize(event, metrics=metrics)

    # THEN the report is in request order, the user is ACTIVE and the metrics say so
    assert report["status"] == "ACTIVE"
    assert report["summary"] == "Provisioned 2 resource(s) for user [u-1] of tenant [acme]."
    assert report["resources"] == [
        {
            "type": "storage-prefix",
            "name": "home",
            "key": "storage-prefix#home",
            "status": "PROVISIONED",
            "createdByThisRun": False,
        },
        {
            "type": "access-scope",
            "name": "default",
            "key": "access-scope#default",
            "status": "PROVISIONED",
            "createdByThisRun": True,
            "resourceId": "arn:aws:iam::1:role/x",
        },
    ]
    assert metrics.values == {"UsersProvisioned": 1, "ResourcesProvisioned": 2, "ResourcesFailed": 0}


def test_a_rollback_report_says_what_happened_to_each_resource():
    # GIVEN one failed resource, and a rollback that removed one, found one not its own, failed on one
    event = {
        "tenantId": "acme",
        "user": USER,
        "resources": [
            {"resource": STORAGE, "status": "PROVISIONED", "createdByThisRun": True, "details": {}},
            {"resource": SCOPE, "status": "PROVISIONED", "createdByThisRun": True, "details": {}},
            {
                "resource": KEY,
                "status": "FAILED",
                "createdByThisRun": True,
                "error": "ResourceConflictError",
                "cause": "x" * 5000,
            },
        ],
        "rollback": [
            {"resource": KEY, "rollback": "REMOVED", "details": {"outcome": "ALREADY_GONE"}},
            {
                "resource": SCOPE,
                "rollback": "REMOVAL_FAILED",
                "error": "States.TaskFailed",
                "cause": "denied",
            },
            {"resource": STORAGE, "rollback": "REMOVED", "details": {"key": "tenants/acme/users/u-1/home/"}},
        ],
    }
    metrics = RecordedMetrics()

    # WHEN summarized
    report = summarize(event, metrics=metrics)

    # THEN each resource carries both outcomes, causes are cut short, and the summary names the leftover
    assert report["status"] == "PROVISIONING_FAILED"
    by_type = {entry["type"]: entry for entry in report["resources"]}
    assert by_type["storage-prefix"]["rollback"] == "REMOVED"
    assert by_type["access-scope"]["rollback"] == "REMOVAL_FAILED"
    assert by_type["access-scope"]["rollbackError"] == "States.TaskFailed"
    assert by_type["api-key"]["rollback"] == "ALREADY_GONE"
    assert by_type["api-key"]["error"] == "ResourceConflictError"
    assert len(by_type["api-key"]["cause"]) == 1000
    assert report["counts"] == {"requested": 3, "provisioned": 2, "failed": 1, "removed": 1, "leftBehind": 1}
    assert report["summary"] == (
        "1 of 3 resource(s) failed for user [u-1] of tenant [acme] "
        "(api-key [default]: ResourceConflictError). Rolled back: 1 removed, 1 left behind. "
        "Remove by hand or re-run: access-scope [default]."
    )
    assert metrics.values == {
        "UserProvisioningFailed": 1,
        "ResourcesProvisioned": 2,
        "ResourcesFailed": 1,
        "ResourcesRolledBack": 1,
        "ResourcesLeftBehind": 1,
    }


def test_a_resource_kept_because_another_run_created_it_is_reported_as_kept():
    event = {
        "tenantId": "acme",
        "user": USER,
        "resources": [{"resource": KEY, "status": "FAILED", "error": "States.TaskFailed", "cause": ""}],
        "rollback": [{"resource": KEY, "rollback": "REMOVED", "details": {"outcome": "KEPT"}}],
    }
    (entry,) = summarize(event)["resources"]
    assert (entry["rollback"], entry["createdByThisRun"]) == ("KEPT", False)


def test_the_dashboard_charts_exactly_the_metrics_the_report_records():
    assert set(METRIC_NAMES) == set(BUSINESS_METRICS)


def test_right_after_provisioning_a_failure_is_reported_but_not_yet_counted():
    # GIVEN a failed resource, before any rollback
    event = {
        "tenantId": "acme",
        "user": USER,
        "resources": [
            {"resource": STORAGE, "status": "PROVISIONED", "createdByThisRun": True, "details": {}},
            {"resource": KEY, "status": "FAILED", "error": "States.TaskFailed", "cause": "boom"},
        ],
    }
    metrics = RecordedMetrics()

    # WHEN summarized
    report = summarize(event, metrics=metrics)

    # THEN the workflow is told to roll back, and the metrics wait for the final report
    assert report["status"] == "PROVISIONING_FAILED"
    assert report["summary"] == (
        "1 of 2 resource(s) failed for user [u-1] of tenant [acme] (api-key [default]: States.TaskFailed); "
        "rolling back."
    )
    assert metrics.values == {}


def test_a_one_time_delivery_reaches_the_report_and_nothing_else_of_the_details_does():
    # GIVEN an API key provisioned with its encrypted delivery, and other details the report omits
    delivery = {"ciphertext": "AQID", "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k", "encryptionContext": {}}
    event = {
        "tenantId": "acme",
        "user": USER,
        "resources": [
            {
                "resource": KEY,
                "status": "PROVISIONED",
                "createdByThisRun": True,
                "details": {"resourceId": "keys/acme/u-1/default", "delivered": True, "delivery": delivery},
            }
        ],
    }

    # WHEN summarized THEN the entry hands the delivery on, to the output of the run
    (entry,) = summarize(event, metrics=RecordedMetrics())["resources"]
    assert entry["delivery"] == delivery
    assert "delivered" not in entry
